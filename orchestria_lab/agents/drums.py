"""The drums agent: grooves per genre, humanised, swung where asked, with fills at section ends.

>>> import numpy as np
>>> from orchestria_lab.state import Meta, State, apply
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi", seed=7))
>>> stem = apply(state, AGENT(state, Action("drums", "add", params={"style": "boom_bap"}),
...                           np.random.default_rng(0))).stem("drums")
>>> stem.instrument, stem.params["style"], {36, 38, 42} <= {n.pitch for n in stem.notes}
('drum_kit', 'boom_bap', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from orchestria_lab.agents.base import Action, AgentSpec, Param
from orchestria_lab.agents.context import model_function
from orchestria_lab.agents.generator import GeneratorAgent, common_params
from orchestria_lab.music.genres import GENRES
from orchestria_lab.music.grooves import (
    GROOVES,
    STYLE_FOR_GENRE,
    VOICE_GROUPS,
    groove,
    percussion,
    style_swing,
)
from orchestria_lab.state import Note, State, Stem

_ROLES = ("drums", "percussion")
_VOICES = tuple(VOICE_GROUPS)
_ALL = ("role", "instrument", "style", "density", "swing", "backend", "fills", "half_time", "exclude")
_CHANGE = ("style", "density", "density_change", "swing", "swing_change", "backend", "fills",
           "half_time", "exclude", "include")


class DrumsAgent(GeneratorAgent):
    """Genre grooves on the kit (GM drum numbers) and percussion layers."""

    roles = _ROLES
    extra = ("fills", "half_time")
    declared = AgentSpec(
        name="drums",
        description="Drum grooves per genre (boom bap with swing, four on the floor, rock backbeat, trap "
                    "hats, breakbeat, one drop, jazz ride, latin clave ...), in any meter, with humanised "
                    "velocity and timing and fills at the end of each phrase.",
        capabilities=("add", "regenerate", "change"),
        parameters=(*(p for p in common_params(_ROLES, tuple(GROOVES)) if p.name not in ("octave", "octaves", "semitones")),
                    Param("fills", "bool", True, description="a fill at the end of every 4-bar phrase"),
                    Param("half_time", "bool", None, description="backbeat on 3 instead of 2 and 4"),
                    Param("exclude", "list", None, choices=_VOICES, description="drum voices to leave out"),
                    Param("include", "list", None, choices=_VOICES, description="drum voices to bring back")),
        backend="baseline",
        intent_params={"add": _ALL, "regenerate": _CHANGE, "change": _CHANGE},
    )

    def _settings(self, current: Mapping[str, Any], given: Mapping[str, Any], state: State, role: str) -> dict[str, Any]:
        out = super()._settings(current, given, state, role)
        excluded = set(current.get("exclude", ())) | set(given.get("exclude", ()))
        excluded -= set(given.get("include", ()))
        out["exclude"] = tuple(sorted(excluded)) or None
        if given.get("style") and given.get("style") != current.get("style") and "half_time" not in given:
            out.pop("half_time", None)  # a new groove brings its own feel
        return out

    def default_swing(self, state: State, settings: Mapping[str, Any]) -> float:
        return style_swing(self.style_of(state, settings), GENRES[state.meta.genre].swing)

    @staticmethod
    def style_of(state: State, settings: Mapping[str, Any]) -> str:
        return str(settings.get("style") or STYLE_FOR_GENRE.get(state.meta.genre, "pop"))

    def make_notes(self, state: State, stem: Stem) -> list[Note]:
        meta, p = state.meta, stem.params
        rng = np.random.default_rng([int(p["seed"]), 2])
        amount = float(p.get("swing", self.default_swing(state, p)))
        density = float(p.get("density", 0.5))
        if stem.role == "percussion":
            return percussion(genre=meta.genre, time_signature=meta.time_signature, bars=meta.bars,
                              rng=rng, swing_amount=amount, density=density)
        model = model_function("drums", "drums", str(p.get("backend", "baseline")))
        if model is not None and "style" not in p:
            return list(model(genre=meta.genre, time_signature=meta.time_signature, bars=meta.bars, rng=rng))
        return groove(style=self.style_of(state, p), time_signature=meta.time_signature, bars=meta.bars,
                      rng=rng, swing_amount=amount, density=density, fills=bool(p.get("fills", True)),
                      half_time=p.get("half_time"), exclude=p.get("exclude", ()))

    def describe_part(self, stem: Stem) -> str:
        style = stem.params.get("style")
        return "percussion" if stem.role == "percussion" else f"{str(style or 'genre').replace('_', ' ')} groove"

    def examples(self, state: State) -> list[Action]:
        out = [Action("drums", "add", params={"style": "boom_bap"}), Action("drums", "add", params={"role": "percussion"})]
        for s in state.stems_with_role("drums"):
            out += [Action("drums", "change", s.stem_id, {"swing_change": 0.2}),
                    Action("drums", "change", s.stem_id, {"exclude": ["hats"]}), Action("drums", "regenerate", s.stem_id)]
        return out


AGENT = DrumsAgent()
