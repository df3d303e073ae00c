"""The bass agent: roots and fifths that follow the chords, approach notes, locked to the kick.

>>> import numpy as np
>>> from orchestria_lab.state import Meta, State, apply
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi", seed=7))
>>> stem = apply(state, AGENT(state, Action("bass", "add"), np.random.default_rng(0))).stem("bass")
>>> stem.instrument, all(28 <= n.pitch <= 55 for n in stem.notes)
('synth_bass', True)
"""

from __future__ import annotations

import numpy as np

from orchestria_lab.agents.base import Action, AgentSpec
from orchestria_lab.agents.context import current_chords, current_kicks, model_function, stem_range
from orchestria_lab.agents.generator import (
    SCOPED,
    GeneratorAgent,
    common_params,
    swung,
    targets,
    unswung,
)
from orchestria_lab.music.lines import BASS_STYLE_FOR_GENRE, bass_line
from orchestria_lab.state import Note, State, Stem

STYLES = ("kick", "walking", "offbeat", "eighths", "sustain")
_ALL = ("role", "instrument", "style", "density", "octave", "swing", "backend")
_CHANGE = ("style", "density", "density_change", "octave", "swing", "swing_change", "backend", "humanize")


class BassAgent(GeneratorAgent):
    """Bass lines that follow the chord roots and lock to the kick drum."""

    roles = ("bass",)
    follows_chords = True
    continues = True
    declared = AgentSpec(
        name="bass",
        description="Bass lines that play the chord root on every change, fifths and octaves on the kick "
                    "hits, chromatic or scale-step approach notes into the next root; walking in jazz, "
                    "off-beat in house, long 808 notes in trap.",
        capabilities=("add", "regenerate", "change", "shift", "refit"),
        parameters=common_params(("bass",), STYLES),
        backend="baseline",
        intent_params={"add": _ALL, "regenerate": _CHANGE, "change": _CHANGE, "refit": (),
                       "shift": ("octaves", "semitones")},
        targets=targets(("add", "regenerate", "change", "shift", "refit")),
        scoped=SCOPED,
    )

    def make_notes(self, state: State, stem: Stem, *, primer: tuple[Note, ...] = (), until: float = 0.0) -> list[Note]:
        meta, p = state.meta, stem.params
        chords = current_chords(state)
        kicks = current_kicks(state)
        low, high = stem_range("bass", stem.instrument)
        rng = np.random.default_rng([int(p["seed"]), 2])
        model = model_function("bass", "bass", str(p.get("backend", "baseline")), genre=meta.genre)
        amount = float(p.get("swing", self.default_swing(state, p)))
        if model is not None and "style" not in p:
            notes = model(key=meta.key, genre=meta.genre, time_signature=meta.time_signature,
                          bars=meta.bars, chords=chords, kick_beats=kicks, low=low, high=high, rng=rng,
                          density=float(p.get("density", 0.5)),
                          primer=unswung(primer, amount), until=until)
            return swung(notes, amount)  # the model writes straight; the feel is laid on after
        style = p.get("style") or ("sustain" if stem.instrument == "sub_bass" else BASS_STYLE_FOR_GENRE.get(meta.genre))
        return bass_line(key=meta.key, genre=meta.genre, time_signature=meta.time_signature,
                         bars=meta.bars, chords=chords, kick_beats=kicks, low=low, high=high, rng=rng,
                         style=style, density=float(p.get("density", 0.5)), swing_amount=amount)

    def defaults(self, state: State, stem: Stem) -> dict:
        out = super().defaults(state, stem)
        if model_function("bass", "bass", str(stem.params.get("backend", "baseline")), genre=state.meta.genre) is None:
            out["style"] = "sustain" if stem.instrument == "sub_bass" else BASS_STYLE_FOR_GENRE.get(state.meta.genre, "kick")
        return out

    def examples(self, state: State) -> list[Action]:
        out = [Action("bass", "add"), Action("bass", "add", params={"instrument": "sub_bass"})]
        for s in state.stems_with_role("bass"):
            out += [Action("bass", "regenerate", s.stem_id), Action("bass", "change", s.stem_id, {"style": "walking"})]
        return out


AGENT = BassAgent()
