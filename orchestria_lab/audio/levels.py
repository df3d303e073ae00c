"""Gain staging: each stem trimmed to its role's loudness in the mix, as an engineer sets it.

A stem at 0 LU (the kick and bass, :mod:`orchestria_lab.music.levels`) plays at
:data:`REFERENCE_LUFS` before the master, every other role at its own LU from there, so a pad
sits under the drums whatever its patch's raw level. The trim is measured once, when a stem is
made (or given another instrument), on the stem as written: its notes, instrument and effects,
with no gain, pan or lanes. It is kept in ``Stem.level_db`` and not measured again when the
part later changes, so "play the piano softer" is softer; ``gain_db`` is the user's move from
there, and "balance the mix" sets both back to the table.

>>> from orchestria_lab.state import Meta, Note, State, Stem
>>> pad = Stem("pad", role="pad", instrument="pad", notes=[Note(57, 0, 4, 100)])
>>> state = State(Meta(bpm=120, key="C", genre="pop", bars=1, sample_rate=8000), (pad,))
>>> levelled = state.stems[0].evolve(level_db=level_for(state, pad, cache=False))
>>> round(stem_loudness(State(state.meta, (levelled,)), levelled, cache=False), 1)   # -20 LUFS - 10 LU
-30.0
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace

import numpy as np

from orchestria_lab.audio.dynamics import integrated_loudness
from orchestria_lab.audio.render import render_stem, stem_cache_key
from orchestria_lab.music.levels import target_lu
from orchestria_lab.state import State, Stem

#: Where the anchor (kick and bass, 0 LU) plays before the master, in LUFS: low enough that a
#: dozen stems sum well under full scale, so the master has headroom to work in.
REFERENCE_LUFS = -20.0
#: A stem is measured on at most this many bars: the busiest phrase of a long song is enough.
MEASURE_BARS = 8
#: Trims beyond this are a patch that is silent or broken, not one to chase.
MAX_TRIM_DB = 40.0


_MEASURED: OrderedDict[tuple, float] = OrderedDict()  # loudness by what the sound depends on: a table costs one render


def stem_loudness(state: State, stem: Stem, *, cache: bool = True) -> float:
    """The integrated loudness (LUFS) of ``stem`` as it plays in ``state``, with its level, gain,
    pan and lanes, before the master (``-inf`` for silence). Measured once per sound and setting."""
    key = (stem_cache_key(state, stem, loop=True), stem.level_db + stem.gain_db, stem.pan)
    if cache and key in _MEASURED:
        _MEASURED.move_to_end(key)
        return _MEASURED[key]
    audio = render_stem(state, stem.stem_id, cache=cache, headroom=False)
    loudness = integrated_loudness(audio, state.meta.sample_rate)
    if cache:
        _MEASURED[key] = loudness
        while len(_MEASURED) > 4096:
            _MEASURED.popitem(last=False)
    return loudness


def target_lufs(state: State, stem: Stem) -> float:
    """Where ``stem`` is meant to sit before the master: the reference plus its role's level."""
    return REFERENCE_LUFS + target_lu(stem.role, state.meta.genre)


def level_for(state: State, stem: Stem, *, cache: bool = True) -> float:
    """The ``level_db`` that sits ``stem`` (as written: no gain, pan or lanes) at its target
    loudness; 0 for a stem that makes no sound."""
    bare = stem.evolve(gain_db=0.0, level_db=0.0, pan=0.0, muted=False, solo=False, automation=())
    excerpt = _excerpt(state, bare)
    loudness = stem_loudness(excerpt, excerpt.stems[0], cache=cache)
    if not np.isfinite(loudness):
        return 0.0
    return round(float(np.clip(target_lufs(state, stem) - loudness, -MAX_TRIM_DB, MAX_TRIM_DB)), 2)


def _excerpt(state: State, stem: Stem) -> State:
    """``stem`` alone, on at most :data:`MEASURE_BARS` bars: the phrase of four bars where it starts
    playing and those after it (the whole song when it is short or its tempo moves)."""
    m = state.meta
    if m.bars <= MEASURE_BARS or m.tempo_changes or not stem.notes:
        return State(m, (stem,))
    per_bar = m.beats_per_bar
    first = min(n.start for n in stem.notes)
    start_bar = min(int(first // (4 * per_bar)) * 4, m.bars - MEASURE_BARS)
    lo, hi = start_bar * per_bar, (start_bar + MEASURE_BARS) * per_bar
    notes = [n._replace(start=n.start - lo) for n in stem.notes if lo <= n.start < hi]
    return State(replace(m, bars=MEASURE_BARS, sections=(), key_changes=()), (stem.evolve(notes=notes),))


def level_new_stems(before: State, after: State, *, cache: bool = True) -> State:
    """``after`` with each stem that is new since ``before`` (or plays another instrument or role
    now) levelled to its role's target; every other stem keeps the level it had."""
    old = {s.stem_id: s for s in before.stems}
    changed = False
    stems = []
    for stem in after.stems:
        was = old.get(stem.stem_id)
        if was is None or (was.instrument, was.role) != (stem.instrument, stem.role):
            level = level_for(after, stem, cache=cache)
            if level != stem.level_db:
                stem, changed = stem.evolve(level_db=level), True
        stems.append(stem)
    return State(after.meta, tuple(stems)) if changed else after
