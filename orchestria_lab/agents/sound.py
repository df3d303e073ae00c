"""The sound agent: picks the instrument of a stem and shapes its tone with adjectives.

The words and what each does to a patch live in :mod:`orchestria_lab.audio.instruments`
(``apply_adjective``, ``ADJECTIVE_EFFECTS``); this agent decides where they apply.

>>> import numpy as np
>>> from orchestria_lab.state import Meta, State, Stem, Note
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi"),
...               (Stem("chords", role="chords", instrument="piano", notes=[Note(60, 0, 4)]),))
>>> edit = AGENT(state, Action("sound", "shape", "chords", {"adjective": "warm"}), np.random.default_rng(0))
>>> new = edit.update[0]
>>> new.tone != state.stem("chords").tone, [e.type for e in new.effects]
(True, ['eq', 'tape'])
"""

from __future__ import annotations

import numpy as np

from orchestria_lab.agents.base import Action, Agent, AgentSpec, Param
from orchestria_lab.agents.context import stem_range
from orchestria_lab.agents.effects import insert_effect
from orchestria_lab.audio.instruments import (
    ADJECTIVE_EFFECTS,
    ADJECTIVES,
    PURE_TONE_EFFECTS,
    apply_adjective,
    patch,
    tone_eq,
    tone_shelf_hz,
)
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.vocabulary import INSTRUMENTS
from orchestria_lab.state import Edit, Effect, State

#: Effect settings that make an adjective's effect do something.
_EFFECT_SETTINGS = {("dark", "lowpass"): {"cutoff": 3000.0}, ("mellow", "lowpass"): {"cutoff": 4000.0},
                    ("bright", "distortion"): {"drive": 9.0, "tone": 1.0, "mix": 0.5},  # an 808 heard on a phone
                    ("crisp", "distortion"): {"drive": 6.0, "tone": 1.0, "mix": 0.35}}
_PITCHED = tuple(i for i in INSTRUMENTS if i != "drum_kit")


class SoundAgent(Agent):
    """Instrument choice and tone shaping."""

    spec = AgentSpec(
        name="sound",
        description="Chooses and shapes instruments: swaps a stem's instrument (moving the part into the "
                    "new instrument's range) and applies adjectives (warm, bright, dark, punchy, airy, "
                    "lo-fi ...) to its patch, adding the effect that carries the word further.",
        capabilities=("instrument", "shape", "reset"),
        parameters=(
            Param("instrument", "str", None, description="the new instrument: one of "
                  + ", ".join(INSTRUMENTS) + ", or sf2:<preset name or GM program> (the session's SoundFont)"),
            Param("adjective", "str", None, choices=ADJECTIVES, description="how it should sound"),
            Param("amount", "float", 1.0, low=-3.0, high=3.0,
                  description="how far: 0.5 a bit, 1, 2 a lot; negative for the opposite ('less bright')"),
            Param("effects", "bool", True, description="also add the effect the adjective implies"),
        ),
        intent_params={"instrument": ("instrument",), "shape": ("adjective", "amount", "effects"), "reset": ()},
    )

    def instrument(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem = state.stem(_require(action.target, "instrument"))
        new_instrument = action.params.get("instrument")
        sampled = isinstance(new_instrument, str) and new_instrument.startswith("sf2:") and len(new_instrument) > 4
        if new_instrument not in INSTRUMENTS and not sampled:
            raise InvalidValue("instrument", new_instrument, "one of " + ", ".join(INSTRUMENTS)
                               + ", or sf2:<preset name or GM program>")
        if sampled:  # the file must have it: refused now, with the presets it does have, not at the render
            from orchestria_lab.audio.soundfont import load

            load(state.meta.soundfont or None).preset(new_instrument[4:], drums=stem.is_drums)
        elif stem.is_drums != (new_instrument == "drum_kit"):
            kind = "drum_kit" if stem.is_drums else "a pitched instrument (" + ", ".join(_PITCHED) + ")"
            raise InvalidValue("instrument", new_instrument, f"{kind} for the {stem.role} stem")
        notes = stem.notes
        if notes and not stem.is_drums and not sampled:
            low, high = stem_range(stem.role, new_instrument)
            middle = float(np.median([n.pitch for n in notes]))
            octaves = int(np.round(((low + high) / 2 - middle) / 12)) if not low <= middle <= high else 0
            if octaves:
                notes = tuple(n._replace(pitch=int(np.clip(n.pitch + 12 * octaves, 0, 127))) for n in notes)
        new = stem.evolve(instrument=new_instrument, tone={}, notes=notes)
        if new == stem:
            return Edit(summary=f"{stem.stem_id} already plays {new_instrument.replace('_', ' ')}")
        if new_instrument == stem.instrument:
            return Edit(update=[new], summary=f"{stem.stem_id}: the plain {new_instrument.replace('_', ' ')} again")
        return Edit(update=[new], summary=f"{stem.stem_id}: {stem.instrument} → {new_instrument}")

    def shape(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem = state.stem(_require(action.target, "shape"))
        adjective = action.params.get("adjective")
        if adjective is None:
            raise InvalidValue("adjective", None, "one of " + ", ".join(ADJECTIVES))
        amount = float(action.params.get("amount", 1.0))
        tone = apply_adjective(stem.instrument, stem.tone, adjective, amount=amount)
        effects = stem.effects
        added = []
        if action.params.get("effects", True):  # the tone EQ tilts either way ("less bright" too)
            eq = next((e for e in effects if e.type == "eq"), None)
            shelf = tone_shelf_hz([] if stem.is_drums else [n.pitch for n in stem.notes])
            tilted = tone_eq(eq.params if eq else {}, adjective, amount=amount, high_hz=shelf)
            if tilted is not None:
                effects = tuple(Effect("eq", tilted) if e is eq else e for e in effects) if eq else insert_effect(
                    effects, Effect("eq", tilted))
                added += [] if eq else ["eq"]
        if action.params.get("effects", True) and amount >= 1.0:
            present = {e.type for e in effects}
            implied = [fx for fx in (PURE_TONE_EFFECTS.get(adjective, ()) if patch(stem.instrument).pure else ())]
            implied += [fx for fx in ADJECTIVE_EFFECTS.get(adjective, ()) if fx != "eq"]
            if implied and not present & set(implied):
                fx = implied[0]
                effects = insert_effect(effects, Effect(fx, _EFFECT_SETTINGS.get((adjective, fx), {})))
                added.append(fx)
        new = stem.evolve(tone=tone, effects=effects)
        word = adjective if amount >= 0 else f"less {adjective}"
        if new == stem:
            return Edit(summary=f"{stem.stem_id} is already as {word} as it goes")
        extra = f" (+{', '.join(added)})" if added else ""
        return Edit(update=[new], summary=f"{stem.stem_id}: {word}{' a bit' if 0 < amount < 1 else ''}{extra}")

    def reset(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem = state.stem(_require(action.target, "reset"))
        if not stem.tone:
            return Edit(summary=f"{stem.stem_id} already has the plain {stem.instrument.replace('_', ' ')} patch")
        return Edit(update=[stem.evolve(tone={})], summary=f"{stem.stem_id}: tone reset to the {stem.instrument} patch")

    def examples(self, state: State) -> list[Action]:
        out = []
        for s in state.stems:
            out.append(Action("sound", "shape", s.stem_id, {"adjective": "punchy" if s.is_drums else "warm"}))
            if not s.is_drums:
                out.append(Action("sound", "instrument", s.stem_id, {"instrument": "organ"}))
        return out


def _require(target: str | None, intent: str) -> str:
    if not target:
        raise InvalidValue(f"sound.{intent} target", None, "the stem to change")
    return target


AGENT = SoundAgent()
