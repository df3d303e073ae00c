"""The melody agent: melodies, leads, hooks and arpeggios over the session's chords.

>>> import numpy as np
>>> from orchestria_lab.state import Meta, State, apply
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi", seed=7))
>>> edit = AGENT(state, Action("melody", "add", params={"role": "arp", "instrument": "pluck"}),
...              np.random.default_rng(0))
>>> stem = apply(state, edit).stem("arp")
>>> stem.params["style"], stem.instrument
('arp', 'pluck')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from orchestria_lab.agents.base import Action, AgentSpec
from orchestria_lab.agents.context import current_chords, model_function, stem_range
from orchestria_lab.agents.generator import (
    SCOPED,
    GeneratorAgent,
    common_params,
    swung,
    targets,
    unswung,
)
from orchestria_lab.music.lines import melody_line
from orchestria_lab.state import Note, State, Stem

STYLES = ("melody", "lead", "hook", "arp")
_ROLES = ("melody", "lead", "arp", "fx")
_STYLE_FOR_ROLE = {"melody": "melody", "lead": "lead", "arp": "arp", "fx": "arp"}
_ALL = ("role", "instrument", "style", "density", "octave", "swing", "backend")
_CHANGE = ("style", "density", "density_change", "octave", "swing", "swing_change", "backend", "humanize")


class MelodyAgent(GeneratorAgent):
    """Lines over the chords: chord tones on strong beats, steps, answered phrases."""

    roles = _ROLES
    follows_chords = True
    continues = True
    declared = AgentSpec(
        name="melody",
        description="Melodies over the chords: chord tones on strong beats, mostly stepwise motion with "
                    "leaps recovered by step, two-bar phrases answered and resolved, in a range that fits "
                    "the instrument; also leads, hooks and arpeggios.",
        capabilities=("add", "regenerate", "change", "shift", "refit"),
        parameters=common_params(_ROLES, STYLES),
        backend="baseline",
        intent_params={"add": _ALL, "regenerate": _CHANGE, "change": _CHANGE, "refit": (),
                       "shift": ("octaves", "semitones")},
        targets=targets(("add", "regenerate", "change", "shift", "refit")),
        scoped=SCOPED,
    )

    def initial_settings(self, state: State, role: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {} if "style" in settings else {"style": _STYLE_FOR_ROLE[role]}
        if role == "fx" and "density" not in settings:
            out["density"] = 0.2
        return out

    def make_notes(self, state: State, stem: Stem, *, primer: tuple[Note, ...] = (), until: float = 0.0) -> list[Note]:
        meta, p = state.meta, stem.params
        chords = current_chords(state, exclude=stem.stem_id)
        low, high = stem_range(stem.role, stem.instrument)
        rng = np.random.default_rng([int(p["seed"]), 2])
        style = str(p.get("style", _STYLE_FOR_ROLE[stem.role]))
        model = model_function("melody", "melody", str(p.get("backend", "baseline")), genre=meta.genre)
        amount = float(p.get("swing", self.default_swing(state, p)))
        if model is not None and style in ("melody", "lead"):
            notes = model(key=meta.key, genre=meta.genre, time_signature=meta.time_signature,
                          bars=meta.bars, chords=chords, low=low, high=high, rng=rng,
                          density=float(p.get("density", 0.5)),
                          primer=unswung(primer, amount), until=until)
            return swung(notes, amount)  # the model writes straight; the feel is laid on after
        return melody_line(key=meta.key, genre=meta.genre, time_signature=meta.time_signature,
                           bars=meta.bars, chords=chords, low=low, high=high, rng=rng, style=style,
                           density=float(p.get("density", 0.5)), swing_amount=amount)

    def describe_part(self, stem: Stem) -> str:
        return f"{stem.instrument}, {stem.params.get('style', stem.role)}"

    def examples(self, state: State) -> list[Action]:
        out = [Action("melody", "add", params={"instrument": "electric_piano"}),
               Action("melody", "add", params={"role": "lead", "style": "hook"})]
        for s in state.stems_with_role(*_ROLES):
            out += [Action("melody", "regenerate", s.stem_id), Action("melody", "shift", s.stem_id, {"octaves": 1})]
        return out


AGENT = MelodyAgent()
