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

from orchestria_lab.agents.base import Action, AgentSpec, Param, Target
from orchestria_lab.agents.context import current_chords, model_function, stem_range
from orchestria_lab.agents.generator import (
    SCOPED,
    GeneratorAgent,
    common_params,
    swung,
    targets,
    unswung,
)
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.continuation import continuation_start, continue_line
from orchestria_lab.music.harmonize import harmonize
from orchestria_lab.music.lines import melody_line
from orchestria_lab.music.progressions import TimedChord
from orchestria_lab.state import Edit, FrozenParams, Note, State, Stem

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
        capabilities=("add", "regenerate", "change", "shift", "refit", "extend"),
        parameters=(*common_params(_ROLES, STYLES),
                    Param("bars", "int", 8, low=1, high=255, unit="bars", description="bars to continue the line for"),
                    Param("from_bar", "int", None, low=2, high=256, unit="bars",
                          description="the bar the continuation starts in (default: the one after the line's last note)")),
        backend="baseline",
        intent_params={"add": _ALL, "regenerate": _CHANGE, "change": _CHANGE, "refit": (),
                       "shift": ("octaves", "semitones"), "extend": ("bars", "from_bar", "backend")},
        targets={**targets(("add", "regenerate", "change", "shift", "refit")), "extend": Target.OWN},
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
            notes = swung(notes, amount)  # the model writes straight; the feel is laid on after
        else:
            notes = melody_line(key=meta.key, genre=meta.genre, time_signature=meta.time_signature,
                                bars=meta.bars, chords=chords, low=low, high=high, rng=rng, style=style,
                                density=float(p.get("density", 0.5)), swing_amount=amount)
        for entry in p.get("extended", ()):  # continuations asked for ("continue the melody for 8 bars")
            notes, _ = _extended(state, stem, notes, int(entry["from_bar"]), int(entry["bars"]), int(entry["seed"]),
                                 backend=str(entry.get("backend", "baseline")))
        return notes

    def extend(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """The line continued for ``bars`` bars from ``from_bar`` (default: the bar after its last note) in
        the style of the bars before, in key, over the chords there (or, in a session without chords, the
        chords its own bars imply, again). With the model backend (``backend``, else the part's own, else
        the agent's: a checkpoint ships) the learned melody model is primed on the line's bars and plays
        on (:func:`~orchestria_lab.models.generate.continue_melody`); a line its tokens cannot hold is
        continued by rule, and the summary says why. The rule takes the bars' rhythms, steps and range
        (:func:`~orchestria_lab.music.continuation.continue_line`). The bars before stay note for note;
        the song must already be long enough (the planner lengthens it first, as "make it N bars long"
        does). A generated part records the continuation, so it is made again with the part."""
        stem = self._target(state, action)
        meta = state.meta
        bars = int(action.params.get("bars", 8))
        first = int(action.params.get("from_bar") or continuation_start(stem.notes, beats_per_bar=meta.beats_per_bar))
        if first < 2 or not any(n.start < (first - 1) * meta.beats_per_bar for n in stem.notes):
            raise InvalidValue("from_bar", first, f"a bar after some of {stem.stem_id}'s notes, to continue them")
        last = first + bars - 1
        if last > meta.bars:
            raise InvalidValue("bars", bars, f"bars inside the song: {stem.stem_id} continued from bar {first} for "
                               f"{bars} bars needs {last} bars, and it has {meta.bars} (make it {last} bars long first)")
        own = stem.agent == self.name and "backend" in stem.params and "backend" not in action.params
        backend = str(stem.params["backend"]) if own else self._backend(action.params.get("backend"))
        seed = int(rng.integers(2**31))
        notes, how = _extended(state, stem, list(stem.notes), first, bars, seed, backend=backend)
        params = stem.params
        if stem.agent == self.name and "seed" in params:  # made again with the part (a new key, meter, genre)
            entry = FrozenParams(from_bar=first, bars=bars, seed=seed, backend=backend)
            params = params.updated(extended=(*params.get("extended", ()), entry))
        new = stem.evolve(notes=tuple(notes), params=params)
        bar = meta.beats_per_bar
        made = sum(1 for n in new.notes if (first - 1) * bar <= n.start < last * bar)
        return Edit(update=[new], summary=f"{stem.stem_id} continued for {bars} bar{'s' * (bars != 1)} (bars {first}-{last}) "
                                          f"{how}: {made} new notes")

    def describe_part(self, stem: Stem) -> str:
        return f"{stem.instrument}, {stem.params.get('style', stem.role)}"

    def examples(self, state: State) -> list[Action]:
        out = [Action("melody", "add", params={"instrument": "electric_piano"}),
               Action("melody", "add", params={"role": "lead", "style": "hook"})]
        for s in state.stems_with_role(*_ROLES):
            out += [Action("melody", "regenerate", s.stem_id), Action("melody", "shift", s.stem_id, {"octaves": 1})]
            if state.meta.bars >= 3:
                out.append(Action("melody", "extend", s.stem_id, {"bars": 1, "from_bar": state.meta.bars}))
        return out


def _extended(state: State, stem: Stem, notes: list[Note], first: int, bars: int, seed: int, *,
              backend: str) -> tuple[list[Note], str]:
    """``notes`` with bars ``first`` to ``first + bars - 1`` made again as their continuation, and how it was
    made (for the summary): by the learned model primed on the bars before (backend ``model``, a line it
    can hold: :func:`_by_model`), else by rule (:func:`~orchestria_lab.music.continuation.continue_line`).
    The notes before and after stay."""
    meta = state.meta
    bar = meta.beats_per_bar
    lo, hi = (first - 1) * bar, (first - 1 + bars) * bar
    before = [n if n.start + n.duration <= lo + 1e-9 else n._replace(duration=round(lo - n.start, 4))
              for n in notes if n.start < lo - 1e-9]
    after = [n for n in notes if n.start >= hi - 1e-9]
    chords = _chords_under(state, stem, before, first)
    more, why = _by_model(state, stem, before, lo, bars, seed, chords) if backend == "model" else (None, "")
    if more is not None:
        how = f"by the melody model, primed on bars {why}"
    else:
        more = continue_line(before, key=meta.key, time_signature=meta.time_signature, from_beat=lo, bars=bars,
                             rng=np.random.default_rng([seed, 7]), chords=chords)
        how = f"in the style of bars 1-{first - 1}, by rule" + (f" (not by the melody model: {why})" if why else "")
    return sorted(before + more + after, key=lambda n: (n.start, n.pitch)), how


def _by_model(state: State, stem: Stem, before: list[Note], lo: float, bars: int, seed: int,
              chords: list[TimedChord]) -> tuple[list[Note] | None, str]:
    """The learned melody model's continuation of ``before`` from beat ``lo`` and the bars it was primed on
    ("5-8"), or None and why it cannot continue it: no checkpoint, a genre it never learnt, a pattern
    style (hook, arp) it does not write, or a line its tokens cannot hold (straight or, played with the
    part's swing, unswung: :func:`~orchestria_lab.models.generate.encoding_problem`)."""
    meta = state.meta
    fn = model_function("melody", "continue_melody", "model", genre=meta.genre)
    if fn is None:
        return None, (f"it never learnt {meta.genre}" if _model_ships() else "no melody checkpoint ships")
    style = str(stem.params.get("style", "melody"))
    if style not in ("melody", "lead"):
        return None, f"it writes melodies and leads, not {style}s"
    from orchestria_lab.models.generate import encoding_problem, primed_bars

    swing = float(stem.params.get("swing", AGENT.default_swing(state, stem.params)))
    for amount in dict.fromkeys((0.0, swing)):  # a line played straight, or with the part's swing
        straight = unswung(before, amount)
        if (problem := encoding_problem(straight, time_signature=meta.time_signature)) is None:
            break
    if problem is not None:
        return None, problem
    more = fn(straight, key=meta.key, genre=meta.genre, time_signature=meta.time_signature, from_beat=lo, bars=bars,
              chords=chords, rng=np.random.default_rng([seed, 8]), density=float(stem.params.get("density", 0.5)))
    first = int(round(lo / meta.beats_per_bar)) + 1
    return swung(more, amount), f"{first - primed_bars(first - 1, bars, meta.time_signature)}-{first - 1}"


def _model_ships() -> bool:
    from orchestria_lab.models.generate import available

    return available("melody")


def _chords_under(state: State, stem: Stem, before: list[Note], first: int) -> list[TimedChord]:
    """The chords a continuation plays over: the session's, or where it has no chord part, the chords the
    line's own bars imply (:func:`~orchestria_lab.music.harmonize.harmonize`), under them (the model is
    primed on the line over its chords) and repeated after them."""
    if any(s.role in ("chords", "pad") and s.notes for s in state.stems if s.stem_id != stem.stem_id):
        return current_chords(state, exclude=stem.stem_id)
    meta = state.meta
    span = (first - 1) * meta.beats_per_bar
    own = harmonize(before, key=meta.key, genre=meta.genre, time_signature=meta.time_signature, bars=first - 1)
    return [(round(s + k * span, 4), d, c) for k in range(meta.bars // max(1, first - 1) + 2) for s, d, c in own]


AGENT = MelodyAgent()
