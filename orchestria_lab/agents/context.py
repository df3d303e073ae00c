"""What a new part plays against: the session's chords and kick, ranges, and the model backend.

Generators are independent agents, yet a bass line added after the chords must follow
them. Each harmony stem records how its progression was made (``progression_seed``,
``style``, ``backend``, and the chords it plays as written: ``chord_plan``), so the chords
are recomputed exactly rather than guessed; stems from elsewhere are read back with
:func:`estimate_chords`; a session without chords yet gets its own default progression
(seeded by the session seed) so that parts added in any order agree.

Parts the user brought (:func:`users_parts`: imported, or written by hand) are followed
whoever wrote them: a first harmony part plays the user's chords, or chords fitted to their
melody; a kit plays its kick with their bass line.

>>> from orchestria_lab.state import Meta, State, Stem
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi", seed=7))
>>> chords = current_chords(state)
>>> len(chords) >= 8 and chords[0][0] == 0.0
True
>>> stem_range("bass", "sub_bass"), stem_range("melody", "bells")
((28, 52), (72, 88))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from orchestria_lab.music.analysis import estimate_chords
from orchestria_lab.music.genres import MODEL_GENRES
from orchestria_lab.music.grooves import STYLE_FOR_GENRE, groove, kick_beats
from orchestria_lab.music.progressions import TimedChord, progression, written
from orchestria_lab.music.vocabulary import ROLE_RANGES
from orchestria_lab.state import Meta, State, Stem

#: Playable range (MIDI low, high) of each instrument; a part sits where role and instrument agree.
INSTRUMENT_RANGES: dict[str, tuple[int, int]] = {
    "piano": (21, 108), "electric_piano": (28, 103), "organ": (36, 96), "strings": (28, 103),
    "pad": (36, 96), "synth_lead": (48, 96), "pluck": (48, 96), "guitar": (40, 88),
    "synth_bass": (24, 60), "sub_bass": (24, 52), "bass_guitar": (28, 67), "bells": (72, 108),
    "brass": (40, 84), "drum_kit": (35, 81),
}

#: Which generator makes each role.
GENERATOR_FOR_ROLE: dict[str, str] = {
    "chords": "harmony", "pad": "harmony", "melody": "melody", "lead": "melody", "arp": "melody",
    "fx": "melody", "bass": "bass", "drums": "drums", "percussion": "drums",
}

#: The order parts are re-made in: what others follow comes first.
REMAKE_ORDER = ("harmony", "drums", "bass", "melody")


def stem_range(role: str, instrument: str) -> tuple[int, int]:
    """Where a ``role`` part on ``instrument`` sits: the overlap of both ranges (role's if none)."""
    lo, hi = ROLE_RANGES.get(role, (36, 96))
    ilo, ihi = INSTRUMENT_RANGES.get(instrument, (0, 127))
    if min(hi, ihi) - max(lo, ilo) >= 12:
        return max(lo, ilo), min(hi, ihi)
    if ihi - ilo >= 12:  # the instrument cannot reach the role's register: use its own, near it
        center = min(max((lo + hi) // 2, ilo + 6), ihi - 6)
        return max(ilo, center - 12), min(ihi, center + 12)
    return lo, hi


def model_function(agent: str, function: str, backend: str, *, genre: str | None = None) -> Callable[..., Any] | None:
    """The trained model's ``function`` when ``backend`` is ``model``, a checkpoint ships, and the
    models learnt ``genre`` (a style they never saw, dubstep say, plays its declared groove and
    harmony instead of the nearest style they know)."""
    if backend != "model" or (genre is not None and genre not in MODEL_GENRES):
        return None
    from orchestria_lab.models import generate

    if not generate.available(agent):
        return None
    return getattr(generate, function, None)


def harmony_chords(meta: Meta, params: Mapping[str, Any]) -> list[TimedChord]:
    """The progression a harmony stem with ``params`` plays in ``meta``'s key, meter and bars."""
    rng = np.random.default_rng([int(params.get("progression_seed", meta.seed)), 1])
    style = params.get("style")
    fn = model_function("harmony", "chords", str(params.get("backend", "baseline")), genre=meta.genre)
    if fn is not None and style is None:
        base = list(fn(key=meta.key, genre=meta.genre, time_signature=meta.time_signature, bars=meta.bars, rng=rng))
    else:
        base = progression(key=meta.key, genre=meta.genre, time_signature=meta.time_signature,
                           bars=meta.bars, rng=rng, style=style)
    if plan := params.get("chord_plan"):  # chords the user wrote ("play Am F C G"), over the bars they asked
        return written(plan, base, key=meta.key, time_signature=meta.time_signature, bars=meta.bars)
    return base


def current_chords(state: State, *, exclude: str | None = None) -> list[TimedChord]:
    """The chords the session plays now (see the module docstring for where they come from)."""
    harmonic = [s for s in state.stems if s.role in ("chords", "pad") and s.stem_id != exclude and s.notes]
    for s in harmonic:
        if s.agent == "harmony":
            return harmony_chords(state.meta, s.params)
    if harmonic:
        m = state.meta
        return estimate_chords(harmonic[0].notes, key=m.key, time_signature=m.time_signature, bars=m.bars)
    return harmony_chords(state.meta, {})


def users_parts(state: State, *roles: str) -> list[Stem]:
    """The stems of ``roles`` with notes that no generator made: the user's own (imported, or written by
    hand), which a part added after them is made to fit."""
    makers = set(GENERATOR_FOR_ROLE.values())
    return [s for s in state.stems if s.role in roles and s.agent not in makers and s.notes]


def progression_source(state: State) -> dict[str, Any]:
    """The progression settings a new harmony stem takes so it agrees with the session."""
    return state.chords_source()


def current_kicks(state: State, *, exclude: str | None = None) -> list[float]:
    """Kick onsets to lock a bass line to: the drum stem's, else the genre's default groove."""
    for s in state.stems:
        if s.role == "drums" and s.stem_id != exclude and any(n.pitch in (35, 36) for n in s.notes):
            return kick_beats(s.notes)
    m = state.meta
    notes = groove(style=STYLE_FOR_GENRE.get(m.genre, "pop"), time_signature=m.time_signature,
                   bars=m.bars, rng=np.random.default_rng([m.seed, 3]), fills=False)
    return kick_beats(notes)
