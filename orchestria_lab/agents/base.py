"""The one contract every agent follows: an :class:`AgentSpec`, and ``agent(state, action, rng) -> Edit``.

An agent declares what it does (name, description, capabilities = the intents it
handles, parameters with types, ranges, defaults and units, status and backend) and is a
pure function of the state, the :class:`Action` and a seeded generator. The spec is
checked when the agent is registered; action parameters are checked against it before
the agent runs, so a plan from any planner (the rule parser or an LLM) is validated the
same way.

>>> spec = AgentSpec("echo", "Says what it was asked.", ("say",),
...                  (Param("times", "int", 1, low=1, high=4, description="how often"),))
>>> spec.validate_params("say", {"times": 2})
{'times': 2}
>>> spec.validate_params("say", {"times": 9})
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: times=9 is not valid: expected a whole number from 1 to 4.
>>> Action("mix", "gain", "bass", {"change_db": -3}).describe()
'mix.gain(bass, change_db=-3)'
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.scope import Scope
from orchestria_lab.state import Edit, FrozenParams, State

STATUSES = ("ready", "untrained", "busy", "error")
PARAM_TYPES = ("int", "float", "str", "bool", "list")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Param:
    """One agent parameter: its type, valid range or choices, default, unit and meaning."""

    name: str
    type: str
    default: Any = None
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise InvalidValue("parameter name", self.name, "lower_snake_case, at most 32 characters")
        if self.type not in PARAM_TYPES:
            raise InvalidValue(f"{self.name}.type", self.type, "one of " + ", ".join(PARAM_TYPES))
        object.__setattr__(self, "choices", tuple(self.choices))
        if self.default is not None:
            self.validate(self.default)

    @property
    def range(self) -> list[Any] | None:
        """``[low, high]`` for numbers, the choices for strings, else ``None``."""
        if self.low is not None or self.high is not None:
            return [self.low, self.high]
        return list(self.choices) or None

    def validate(self, value: Any) -> Any:
        """``value`` converted to this parameter's type, or :class:`InvalidValue` saying what fits."""
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            raise InvalidValue(self.name, value, "true or false")
        if self.type in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) or not math.isfinite(value):
                raise InvalidValue(self.name, value, self._expected())
            if self.type == "int":
                if not float(value).is_integer():
                    raise InvalidValue(self.name, value, self._expected())
                value = int(value)
            else:
                value = float(value)
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                raise InvalidValue(self.name, value, self._expected())
            return value
        if self.type == "str":
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise InvalidValue(self.name, value, self._expected())
            return value
        items = value if isinstance(value, list | tuple) else None
        if items is None or not all(isinstance(v, str) for v in items) or (
            self.choices and not set(items) <= set(self.choices)
        ):
            raise InvalidValue(self.name, value, self._expected())
        return tuple(items)

    def _expected(self) -> str:
        if self.type in ("int", "float"):
            kind = "a whole number" if self.type == "int" else "a number"
            if self.low is not None and self.high is not None:
                return f"{kind} from {_num(self.low)} to {_num(self.high)}" + (f" {self.unit}" if self.unit else "")
            return kind
        if self.choices:
            head = "a list drawn from " if self.type == "list" else "one of "
            return head + ", ".join(self.choices)
        return "a list of strings" if self.type == "list" else "a string"

    def to_dict(self) -> dict[str, Any]:
        default = list(self.default) if isinstance(self.default, tuple) else self.default
        return {"name": self.name, "type": self.type, "range": self.range, "default": default,
                "unit": self.unit, "description": self.description}


def _num(x: float) -> str:
    return f"{x:g}"


class Target(enum.Enum):
    """What an intent acts on, as its agent declares it (``AgentSpec.targets``).

    :func:`~orchestria_lab.language.plan.validate_plan` reads these, so a plan is checked
    against what each agent says it accepts, built-in or plugin alike.
    """

    NEW = "new stem"                #: makes a stem: the target is a free stem id (or None: the agent names it)
    STEM = "stem"                   #: an existing stem, named
    OWN = "own stem"                #: an existing stem of the agent's parts, or None when there is one
    REMOVE = "stem it removes"      #: an existing stem, which the action takes out of the session
    SESSION = "session"             #: the song as a whole: no target


@dataclass(frozen=True)
class AgentSpec:
    """What an agent is and does. Checked on registration (:meth:`check`).

    ``targets`` says, per intent, what it acts on (a :class:`Target`; :attr:`Target.STEM` where
    an intent is not listed). ``scoped`` lists the intents that can act on part of the song
    (a :class:`~orchestria_lab.music.scope.Scope`); an action with a scope on any other intent
    is refused, never applied to the whole song.
    """

    name: str
    description: str
    capabilities: tuple[str, ...]
    parameters: tuple[Param, ...] = ()
    status: str = "ready"
    backend: str = "rules"
    intent_params: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    targets: Mapping[str, Target] = field(default_factory=dict)
    scoped: tuple[str, ...] = ()

    def target(self, intent: str) -> Target:
        """What ``intent`` acts on."""
        return self.targets.get(intent, Target.STEM)

    def check(self) -> AgentSpec:
        """Raise :class:`InvalidValue` naming the first thing wrong with this spec."""
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise InvalidValue("agent name", self.name, "lower_snake_case, at most 32 characters")
        if not isinstance(self.description, str) or not self.description.strip():
            raise InvalidValue(f"{self.name}.description", self.description, "a sentence saying what the agent does")
        caps = self.capabilities
        if not isinstance(caps, tuple) or not caps or not all(isinstance(c, str) and _NAME_RE.match(c) for c in caps):
            raise InvalidValue(f"{self.name}.capabilities", caps, "a non-empty tuple of lower_snake_case intents")
        if len(set(caps)) != len(caps):
            raise InvalidValue(f"{self.name}.capabilities", caps, "intents without repeats")
        if not all(isinstance(p, Param) for p in self.parameters):
            raise InvalidValue(f"{self.name}.parameters", self.parameters, "a tuple of Param")
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise InvalidValue(f"{self.name}.parameters", names, "parameters with distinct names")
        if self.status not in STATUSES:
            raise InvalidValue(f"{self.name}.status", self.status, "one of " + ", ".join(STATUSES))
        if not isinstance(self.backend, str) or not self.backend:
            raise InvalidValue(f"{self.name}.backend", self.backend, "a backend name such as rules, baseline or model")
        for intent, allowed in self.intent_params.items():
            if intent not in caps or not set(allowed) <= set(names):
                raise InvalidValue(f"{self.name}.intent_params[{intent!r}]", allowed,
                                   "a declared intent mapped to declared parameters")
        for intent, target in self.targets.items():
            if intent not in caps or not isinstance(target, Target):
                raise InvalidValue(f"{self.name}.targets[{intent!r}]", target,
                                   "a declared intent mapped to a Target (" + ", ".join(t.name for t in Target) + ")")
        if not isinstance(self.scoped, tuple) or not set(self.scoped) <= set(caps):
            raise InvalidValue(f"{self.name}.scoped", self.scoped, "a tuple of declared intents")
        return self

    def param(self, name: str) -> Param:
        for p in self.parameters:
            if p.name == name:
                return p
        raise InvalidValue("parameter", name, f"one of {self.name}'s parameters: " + ", ".join(p.name for p in self.parameters))

    def validate_params(self, intent: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check ``intent`` and ``params`` against this spec; return the converted params."""
        if intent not in self.capabilities:
            raise InvalidValue(f"{self.name} intent", intent, "one of " + ", ".join(self.capabilities))
        allowed = self.intent_params.get(intent)
        out = {}
        for key, value in params.items():
            if allowed is not None and key not in allowed:
                raise InvalidValue(f"{self.name}.{intent} parameter", key,
                                   "one of " + (", ".join(allowed) or "(none)"))
            out[key] = self.param(key).validate(value)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: what ``GET /v1/agents`` returns for this agent."""
        return {"name": self.name, "description": self.description,
                "capabilities": list(self.capabilities),
                "parameters": [p.to_dict() for p in self.parameters],
                "status": self.status, "backend": self.backend,
                "targets": {i: self.target(i).name.lower() for i in self.capabilities},
                "scoped": list(self.scoped)}


@dataclass(frozen=True)
class Action:
    """One step of a plan: which agent, which intent, which stem, with which parameters, and
    where in the song (``scope``; ``None`` for all of it).

    >>> Action("melody", "regenerate", "melody", scope=Scope(first_bar=5, last_bar=8)).describe()
    'melody.regenerate(melody) @ bars 5-8'
    """

    agent: str
    intent: str
    target: str | None = None
    params: FrozenParams = field(default_factory=FrozenParams)
    scope: Scope | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.params, FrozenParams):
            object.__setattr__(self, "params", FrozenParams(self.params))
        if isinstance(self.scope, Mapping):
            object.__setattr__(self, "scope", Scope(**self.scope))

    def with_params(self, **changes: Any) -> Action:
        return replace(self, params=self.params.updated(**changes))

    def describe(self) -> str:
        args = ([self.target] if self.target else []) + [f"{k}={_show(v)}" for k, v in self.params.items()]
        where = f" @ {self.scope.describe()}" if self.scope else ""
        return f"{self.agent}.{self.intent}({', '.join(args)}){where}"

    def to_dict(self) -> dict[str, Any]:
        return {"agent": self.agent, "intent": self.intent, "target": self.target,
                "params": self.params.to_dict(), "scope": self.scope.to_dict() if self.scope else None}


def _show(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


class Agent:
    """Base class: declare ``spec``; write one method per intent, named like the intent.

    ``agent(state, action, rng)`` checks the action against the spec and calls
    ``self.<intent>(state, action, rng)``, which returns an :class:`Edit` and never
    touches ``state``.
    """

    spec: ClassVar[AgentSpec]

    @property
    def name(self) -> str:
        return self.spec.name

    def describe(self) -> AgentSpec:
        """The spec as it is now (generators report their live backend and status in ``spec``)."""
        return self.spec

    def __call__(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        spec = self.spec
        if action.agent != spec.name:
            raise InvalidValue("action.agent", action.agent, f"{spec.name!r} for this agent")
        params = spec.validate_params(action.intent, action.params)
        action = replace(action, params=FrozenParams(params))
        edit = getattr(self, action.intent)(state, action, rng)
        if not isinstance(edit, Edit):
            raise TypeError(f"{spec.name}.{action.intent} returned {type(edit).__name__}, not an Edit")
        return edit

    def examples(self, state: State) -> list[Action]:
        """Actions that exercise this agent on ``state``, for :func:`check_agent`."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec.name!r}: {', '.join(self.spec.capabilities)}>"
