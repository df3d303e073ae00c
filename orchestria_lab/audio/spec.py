"""Declared parameters: what agents, the REST shim and widgets read to drive an effect.

An :class:`EffectSpec` names an effect, says what it does and lists its
:class:`ParamSpec` entries (type, range, default, unit, description). ``validate`` fills
defaults and rejects bad values with a message that says what would be valid.

>>> spec = EffectSpec("gain", "Scales the level.", (
...     ParamSpec("db", "float", 0.0, -24.0, 24.0, "dB", "how much louder"),))
>>> spec.validate({})
{'db': 0.0}
>>> spec.validate({"db": 40})
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: gain.db=40 is not valid: expected a number from -24.0 to 24.0 (dB).
>>> spec.validate({"level": 1})
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: gain parameter='level' is not valid: expected one of db.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestria_lab.errors import InvalidValue

PARAM_TYPES = ("float", "int", "bool")


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter: ``type`` is ``"float"``, ``"int"`` or ``"bool"``."""

    name: str
    type: str
    default: Any
    low: float | None = None
    high: float | None = None
    unit: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise InvalidValue("type", self.type, "one of " + ", ".join(PARAM_TYPES))

    def check(self, value: Any, *, owner: str = "") -> Any:
        """``value`` converted to this parameter's type, or InvalidValue saying the valid range."""
        label = f"{owner}.{self.name}" if owner else self.name
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            raise InvalidValue(label, value, "true or false")
        unit = f" ({self.unit})" if self.unit else ""
        kind = "a whole number" if self.type == "int" else "a number"
        expected = f"{kind} from {self.low} to {self.high}{unit}"
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidValue(label, value, expected)
        if self.type == "int" and not float(value).is_integer():
            raise InvalidValue(label, value, expected)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise InvalidValue(label, value, expected)
        return int(value) if self.type == "int" else float(value)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "default": self.default, "low": self.low,
                "high": self.high, "unit": self.unit, "description": self.description}


@dataclass(frozen=True)
class EffectSpec:
    """One effect, declared once: its name, description, parameters (a dict by name; a sequence is
    accepted), tail, function, place in a chain, main control and the words that name it.

    ``tail`` maps validated parameters and the tempo to the seconds the effect keeps
    sounding after its input stops (reverb decay, delay echoes, filter ringing): the
    renderer uses it to wrap loops seamlessly or to let songs ring out.
    """

    name: str
    description: str
    params: Mapping[str, ParamSpec]
    tail: Callable[[Mapping[str, Any], float], float] = field(default=lambda p, bpm: 0.05, compare=False)
    #: ``function(audio, sr, **params) -> audio``: what the effect does.
    function: Callable[..., Any] | None = field(default=None, compare=False)
    #: Its place in a chain (lower first): tone and dynamics, then colour, then space, limiter last.
    order: int = 0
    #: The control "more" and "less" move, and which way is "more" (+1 up, -1 down).
    main: tuple[str, int] = ("mix", 1)
    #: The words that name it in a command (the lexicon's ``effect`` lines come from these).
    words: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.params, Mapping):
            object.__setattr__(self, "params", {p.name: p for p in self.params})

    __hash__ = None  # type: ignore[assignment]

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(self.params)

    def param(self, name: str) -> ParamSpec:
        if name in self.params:
            return self.params[name]
        raise InvalidValue(f"{self.name} parameter", name, "one of " + ", ".join(self.param_names))

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params.values()}

    def validate(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """All parameters, defaults filled in; raises InvalidValue naming the valid set or range."""
        out = self.defaults
        for name, value in (params or {}).items():
            out[name] = self.param(name).check(value, owner=self.name)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "params": {p.name: p.to_dict() for p in self.params.values()}}
