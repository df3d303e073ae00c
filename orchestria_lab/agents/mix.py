"""The mix agent: gain, pan, mute and solo, absolute ("pan hard right") or relative ("a bit louder").

>>> import numpy as np
>>> from orchestria_lab.state import Meta, State, Stem, Note
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi"),
...               (Stem("bass", role="bass", instrument="sub_bass", notes=[Note(36, 0, 1)]),))
>>> AGENT(state, Action("mix", "gain", "bass", {"change_db": -3.0}), np.random.default_rng(0)).update[0].gain_db
-3.0
>>> AGENT(state, Action("mix", "pan", "bass", {"pan": 1.0}), np.random.default_rng(0)).summary
'bass: pan 0 → 1 (hard right)'
"""

from __future__ import annotations

import numpy as np

from orchestria_lab.agents.base import Action, Agent, AgentSpec, Param
from orchestria_lab.errors import InvalidValue
from orchestria_lab.state import Edit, State

GAIN_FLOOR_DB = -60.0
GAIN_CEILING_DB = 12.0


def pan_label(pan: float) -> str:
    """Words for a pan position: ``center``, ``35% left``, ``hard right`` ...

    >>> pan_label(0.0), pan_label(-0.35), pan_label(1.0)
    ('center', '35% left', 'hard right')
    """
    if abs(pan) < 1e-6:
        return "center"
    side = "left" if pan < 0 else "right"
    return f"hard {side}" if abs(pan) >= 0.999 else f"{abs(pan) * 100:.0f}% {side}"


class MixAgent(Agent):
    """Levels, placement, mutes and solos."""

    spec = AgentSpec(
        name="mix",
        description="Gain, pan, mute and solo for each stem: absolute settings (\"-6 dB\", \"pan hard "
                    "right\") and relative ones (\"a bit louder\", \"too loud\", \"more to the left\").",
        capabilities=("gain", "pan", "mute", "unmute", "solo", "unsolo"),
        parameters=(
            Param("db", "float", None, low=-96.0, high=24.0, unit="dB", description="absolute gain"),
            Param("change_db", "float", None, low=-48.0, high=48.0, unit="dB", description="gain change"),
            Param("pan", "float", None, low=-1.0, high=1.0, description="absolute pan: -1 left, 0 center, 1 right"),
            Param("change_pan", "float", None, low=-2.0, high=2.0, description="pan change (negative: left)"),
        ),
        intent_params={"gain": ("db", "change_db"), "pan": ("pan", "change_pan"),
                       "mute": (), "unmute": (), "solo": (), "unsolo": ()},
    )

    def gain(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem = state.stem(_target(action))
        p = action.params
        if "db" in p:
            new_db = float(p["db"])
        elif "change_db" in p:
            new_db = float(np.clip(stem.gain_db + p["change_db"], GAIN_FLOOR_DB, GAIN_CEILING_DB))
        else:
            raise InvalidValue("mix.gain", dict(p), "`db` (absolute) or `change_db` (relative)")
        new = stem.evolve(gain_db=round(new_db, 2))
        if new.gain_db == stem.gain_db:
            return Edit(summary=f"{stem.stem_id} is already at {stem.gain_db:+g} dB")
        return Edit(update=[new], summary=f"{stem.stem_id}: gain {stem.gain_db:+g} → {new.gain_db:+g} dB")

    def pan(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem = state.stem(_target(action))
        p = action.params
        if "pan" in p:
            value = float(p["pan"])
        elif "change_pan" in p:
            value = float(np.clip(stem.pan + p["change_pan"], -1.0, 1.0))
        else:
            raise InvalidValue("mix.pan", dict(p), "`pan` (absolute) or `change_pan` (relative)")
        new = stem.evolve(pan=round(value, 3))
        if new.pan == stem.pan:
            return Edit(summary=f"{stem.stem_id} is already panned {pan_label(stem.pan)}")
        return Edit(update=[new], summary=f"{stem.stem_id}: pan {stem.pan:g} → {new.pan:g} ({pan_label(new.pan)})")

    def mute(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        return self._flag(state, action, "muted", True)

    def unmute(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        return self._flag(state, action, "muted", False)

    def solo(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        return self._flag(state, action, "solo", True)

    def unsolo(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        return self._flag(state, action, "solo", False)

    def _flag(self, state: State, action: Action, field: str, value: bool) -> Edit:
        stem = state.stem(_target(action))
        word = {("muted", True): "muted", ("muted", False): "unmuted",
                ("solo", True): "soloed", ("solo", False): "unsoloed"}[(field, value)]
        if getattr(stem, field) == value:
            return Edit(summary=f"{stem.stem_id} is already {word}")
        return Edit(update=[stem.evolve(**{field: value})], summary=f"{stem.stem_id} {word}")

    def examples(self, state: State) -> list[Action]:
        out = []
        for s in state.stems:
            out += [Action("mix", "gain", s.stem_id, {"change_db": 3.0}), Action("mix", "pan", s.stem_id, {"change_pan": -0.5}),
                    Action("mix", "mute", s.stem_id), Action("mix", "solo", s.stem_id)]
        return out


def _target(action: Action) -> str:
    if not action.target:
        raise InvalidValue(f"mix.{action.intent} target", None, "the stem to change")
    return action.target


AGENT = MixAgent()
