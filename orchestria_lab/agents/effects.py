"""The effects agent: adds, removes and changes the effects on a stem and their parameters.

Effect parameters, their ranges and defaults are declared once, in
:data:`orchestria_lab.audio.effects.EFFECT_SPECS`; a stem stores only what the user
changed. "More reverb" moves each effect's main control (reverb mix, distortion drive,
lowpass cutoff down ...) by a step scaled to its range.

>>> import numpy as np
>>> from orchestria_lab.state import Meta, State, Stem, Note
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi"),
...               (Stem("drums", role="drums", instrument="drum_kit", notes=[Note(36, 0, 1)]),))
>>> edit = AGENT(state, Action("effects", "add", "drums", {"effect": "delay", "amount": 0.5}), np.random.default_rng(0))
>>> edit.update[0].effects
(Effect(type='delay', params=FrozenParams({'mix': 0.125})),)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from orchestria_lab.agents.base import Action, Agent, AgentSpec, Param
from orchestria_lab.audio.effects import EFFECT_SPECS
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.vocabulary import EFFECT_TYPES
from orchestria_lab.state import Edit, Effect, State, Stem

#: Where an effect goes in a chain (each effect's ``order``): tone and dynamics, then colour, then
#: space, limiter last.
CHAIN_ORDER: tuple[str, ...] = tuple(sorted(EFFECT_SPECS, key=lambda name: EFFECT_SPECS[name].order))
#: The control "more"/"less" moves, and which way is "more" (each effect's ``main``).
MAIN_CONTROL: dict[str, tuple[str, int]] = {name: spec.main for name, spec in EFFECT_SPECS.items()}


def insert_effect(chain: Sequence[Effect], effect: Effect) -> tuple[Effect, ...]:
    """``chain`` with ``effect`` at its place in :data:`CHAIN_ORDER`.

    >>> [e.type for e in insert_effect((Effect("reverb"),), Effect("eq"))]
    ['eq', 'reverb']
    """
    rank = CHAIN_ORDER.index(effect.type)
    at = next((i for i, e in enumerate(chain) if CHAIN_ORDER.index(e.type) > rank), len(chain))
    return (*chain[:at], effect, *chain[at:])


def moved(effect_type: str, params: dict[str, Any], steps: float, *, control: str | None = None) -> dict[str, Any]:
    """``params`` with the effect's main control moved ``steps`` "more" (negative: less)."""
    from orchestria_lab.audio.effects import EFFECT_SPECS

    spec = EFFECT_SPECS[effect_type]
    name, sign = (control, 1) if control else MAIN_CONTROL[effect_type]
    p = spec.param(name)
    value = float(params.get(name, p.default))
    if p.unit == "Hz":
        value *= 1.6 ** (sign * steps)
    elif p.type == "bool":
        return dict(params)
    else:
        value += sign * steps * 0.2 * (float(p.high) - float(p.low)) * (0.5 if name == "mix" else 1.0)
    value = float(np.clip(value, p.low, p.high))
    value = int(round(value)) if p.type == "int" else round(value, 3)
    out = dict(params)
    if value == p.default:
        out.pop(name, None)
    else:
        out[name] = value
    return out


def scaled(effect_type: str, amount: float) -> dict[str, Any]:
    """Overrides for "a touch of" (0.5) or "lots of" (2) an effect: wet mix scaled, else a move."""
    from orchestria_lab.audio.effects import EFFECT_SPECS

    name, _ = MAIN_CONTROL[effect_type]
    if name != "mix":
        return moved(effect_type, {}, amount - 1.0)
    p = EFFECT_SPECS[effect_type].param("mix")
    return {"mix": round(float(np.clip(p.default * amount, p.low, p.high)), 3)}


class EffectsAgent(Agent):
    """Effect chains: add, remove, change, clear."""

    spec = AgentSpec(
        name="effects",
        description="Adds, removes and changes effects (reverb, delay, chorus, distortion, compressor, eq, "
                    "lowpass, highpass, bitcrusher, tape, vinyl, limiter) and their parameters, placing "
                    "each at its usual position in the chain.",
        capabilities=("add", "remove", "set", "clear"),
        parameters=(
            Param("effect", "str", None, choices=EFFECT_TYPES, description="which effect"),
            Param("amount", "float", 1.0, low=0.0, high=3.0, description="how much: 0.5 a touch, 1 default, 2 a lot"),
            Param("change", "float", None, low=-3.0, high=3.0, description="relative: +1 more, -1 less"),
            Param("param", "str", None, description="a parameter of the effect (see EFFECT_SPECS), e.g. decay"),
            Param("value", "float", None, description="the new value of `param`, in its unit"),
        ),
        intent_params={"add": ("effect", "amount", "param", "value"), "remove": ("effect",),
                       "set": ("effect", "change", "param", "value"), "clear": ()},
    )

    def add(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem, kind = self._stem_and_effect(state, action)
        if any(e.type == kind for e in stem.effects):  # "add reverb" when there is some: a bit more
            return self._change(stem, kind, 0.5, action.params.get("param"), action.params.get("value"), "more")
        amount = float(action.params.get("amount", 1.0))
        params = scaled(kind, amount) if amount != 1.0 else {}
        params = _with_value(kind, params, action.params.get("param"), action.params.get("value"))
        new = stem.evolve(effects=insert_effect(stem.effects, Effect(kind, params)))
        return Edit(update=[new], summary=f"{stem.stem_id}: +{kind}")

    def remove(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem, kind = self._stem_and_effect(state, action)
        if not any(e.type == kind for e in stem.effects):
            have = ", ".join(e.type for e in stem.effects) or "no effects"
            raise InvalidValue("effect", kind, f"an effect {stem.stem_id} has ({have})")
        new = stem.evolve(effects=tuple(e for e in stem.effects if e.type != kind))
        return Edit(update=[new], summary=f"{stem.stem_id}: -{kind}")

    def set(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem, kind = self._stem_and_effect(state, action)
        change = action.params.get("change")
        param, value = action.params.get("param"), action.params.get("value")
        if change is None and value is None:
            raise InvalidValue("effects.set", dict(action.params), "a relative `change` or a `param` and `value`")
        inserted = not any(e.type == kind for e in stem.effects)
        if inserted:
            if change is not None and change < 0 and param is None:
                raise InvalidValue("effect", kind, f"an effect {stem.stem_id} has to turn down")
            stem = stem.evolve(effects=insert_effect(stem.effects, Effect(kind)))
        return self._change(stem, kind, change or 0.0, param, value, "more" if (change or 0) > 0 else "less",
                            inserted=inserted)

    def clear(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem = state.stem(_target(action))
        if not stem.effects:
            return Edit(summary=f"{stem.stem_id} has no effects to clear")
        return Edit(update=[stem.evolve(effects=())], summary=f"{stem.stem_id}: effects cleared")

    def _change(self, stem: Stem, kind: str, steps: float, param: str | None, value: float | None, word: str,
                *, inserted: bool = False) -> Edit:
        chain = []
        for e in stem.effects:
            if e.type == kind:
                params = dict(e.params)
                if value is None:
                    params = moved(kind, params, steps, control=param)
                params = _with_value(kind, params, param, value)
                e = Effect(kind, params)
            chain.append(e)
        new = stem.evolve(effects=tuple(chain))
        if new.effects == stem.effects and not inserted:  # at the end of its range, or set to what it is
            what = (f"the {kind} {param} is already {value:g}" if value is not None
                    else f"the {kind} is already at its {'most' if steps > 0 else 'least'}")
            return Edit(summary=f"{stem.stem_id}: {what}")
        what = f"{param} = {value:g}" if value is not None else f"{word} {kind}"
        return Edit(update=[new], summary=f"{stem.stem_id}: {what}")

    @staticmethod
    def _stem_and_effect(state: State, action: Action) -> tuple[Stem, str]:
        stem = state.stem(_target(action))
        kind = action.params.get("effect")
        if kind is None:
            raise InvalidValue("effect", None, "one of " + ", ".join(EFFECT_TYPES))
        return stem, kind

    def examples(self, state: State) -> list[Action]:
        out = []
        for s in state.stems:
            out += [Action("effects", "add", s.stem_id, {"effect": "reverb"}),
                    Action("effects", "set", s.stem_id, {"effect": "delay", "change": 1.0}),
                    Action("effects", "add", s.stem_id, {"effect": "lowpass", "param": "cutoff", "value": 800.0})]
        return out


def _with_value(kind: str, params: dict[str, Any], param: str | None, value: float | None) -> dict[str, Any]:
    if param is None or value is None:
        return params
    from orchestria_lab.audio.effects import EFFECT_SPECS

    spec = EFFECT_SPECS[kind]
    checked = spec.param(param).check(value, owner=kind)
    out = dict(params)
    if checked == spec.param(param).default:
        out.pop(param, None)
    else:
        out[param] = checked
    return out


def _target(action: Action) -> str:
    if not action.target:
        raise InvalidValue(f"effects.{action.intent} target", None, "the stem whose effects to change")
    return action.target


AGENT = EffectsAgent()
