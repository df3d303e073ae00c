"""A line continued in the style of its first bars: their rhythms, their intervals, their range, in key.

Each new bar takes the rhythm of one of the line's own bars (the same bar of the tune in turn, now
and then another; the last new bar ends as the tune's last bar does), so the new notes have the
tune's note lengths. Each pitch moves from the one before by a step in scale degrees, drawn from
the tune's own steps: mostly the step its bar made there (the tune's motif, restated from where the
line is), else one drawn from all the steps it makes. Pitches stay in the tune's range and in the
key's scale; a note on a strong beat becomes the nearest chord tone of the chord sounding when one
is a step or two away, and the line ends on the tonic.

>>> import numpy as np
>>> from orchestria_lab.music.notes import Note
>>> tune = [Note(p, float(i), 1.0) for i, p in enumerate((60, 62, 64, 65, 67, 65, 64, 62))]
>>> more = continue_line(tune, key="C", time_signature="4/4", from_beat=8.0, bars=2, rng=np.random.default_rng(0))
>>> [n.start for n in more], all(n.pitch % 12 in (0, 2, 4, 5, 7, 9, 11) for n in more), more[-1].pitch % 12
([8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0], True, 0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from orchestria_lab.music.notes import Note
from orchestria_lab.music.progressions import TimedChord, chord_at
from orchestria_lab.music.rhythm import Meter
from orchestria_lab.music.theory import Key, parse_key

#: The share of new notes that restate the step the tune's own bar made at that place (its motif).
MOTIF = 0.6
#: The share of new bars that take the rhythm of another of the tune's bars than the one in turn.
VARY = 0.25
#: How far (scale steps) a note on a strong beat may move to become a chord tone.
PULL = 2


def continuation_start(notes: Sequence[Note], *, beats_per_bar: float) -> int:
    """The bar (counted from 1) after the one the line's last note ends in: where it is continued (a note
    that rings past a bar line by less than a 16th ends at it).

    >>> continuation_start([Note(60, 0.0, 1.0), Note(62, 28.0, 4.0)], beats_per_bar=4.0)
    9
    >>> continuation_start([Note(60, 0.0, 1.0), Note(62, 29.5, 4.0)], beats_per_bar=4.0)
    10
    """
    if not notes:
        return 1
    end = max(n.start + n.duration for n in notes)
    return max(1, math.ceil((end - 0.25) / beats_per_bar)) + 1


def top_line(notes: Sequence[Note]) -> list[Note]:
    """The highest note of each onset, in time order (a melody with double stops read as one line)."""
    best: dict[float, Note] = {}
    for n in notes:
        t = round(n.start, 4)
        if t not in best or n.pitch > best[t].pitch:
            best[t] = n
    return [best[t] for t in sorted(best)]


def continue_line(notes: Sequence[Note], *, key: str | Key, time_signature: str, from_beat: float, bars: int,
                  rng: np.random.Generator, chords: Sequence[TimedChord] = ()) -> list[Note]:
    """``bars`` bars of new notes from ``from_beat`` (a bar line) in the style of ``notes`` before it (see
    the module docstring), over ``chords`` where they sound."""
    key = parse_key(key) if isinstance(key, str) else key
    meter = Meter.of(time_signature)
    bar = meter.beats_per_bar
    line = top_line([n for n in notes if n.start < from_beat - 1e-9])
    if not line or bars < 1:
        return []
    low, high = min(n.pitch for n in line), max(n.pitch for n in line)
    scale = [p for p in range(low - 2, high + 3) if key.contains(p)] or [low]
    lo_i, hi_i = _index(scale, low), _index(scale, high)
    into = [None, *(_index(scale, b.pitch) - _index(scale, a.pitch) for a, b in zip(line, line[1:], strict=False))]
    pool = [s for s in into if s is not None] or [0]
    tune: dict[int, list[tuple[Note, int | None]]] = {}
    for n, step in zip(line, into, strict=True):  # each bar of the tune: its notes and the step into each
        tune.setdefault(int(math.floor(n.start / bar + 1e-6)), []).append((n, step))
    order = sorted(tune)
    out: list[Note] = []
    current = _index(scale, line[-1].pitch)
    for k in range(bars):
        j = order[-1] if k == bars - 1 else order[k % len(order)]
        if k != bars - 1 and rng.random() < VARY:
            j = order[int(rng.integers(len(order)))]
        for i, (model, motif) in enumerate(tune[j]):
            offset = model.start - j * bar
            onset = from_beat + k * bar + offset
            step = motif if motif is not None and rng.random() < MOTIF else int(rng.choice(pool))
            target = current + step
            if not lo_i <= target <= hi_i:  # the tune's range: turn back inside it
                target = current - step
            target = int(np.clip(target, lo_i, hi_i))
            chord = chord_at(chords, onset + 1e-3)
            if k == bars - 1 and i == len(tune[j]) - 1:
                target = _nearest(scale, target, {key.tonic_pc}, lo_i, hi_i, reach=len(scale))
            elif chord is not None and any(abs(offset - s) < 0.06 for s in meter.strong):
                target = _nearest(scale, target, set(chord.pitch_classes), lo_i, hi_i, reach=PULL)
            current = target
            out.append(Note(scale[target], round(onset, 4), model.duration, model.velocity))
    end = from_beat + bars * bar
    return [n._replace(duration=round(max(0.05, min(n.duration, nxt - n.start)), 4))
            for n, nxt in zip(out, [m.start for m in out[1:]] + [end], strict=True)]


def _index(scale: Sequence[int], pitch: int) -> int:
    """The index of the scale pitch nearest ``pitch``."""
    return min(range(len(scale)), key=lambda i: (abs(scale[i] - pitch), scale[i]))


def _nearest(scale: Sequence[int], target: int, pcs: set[int], lo: int, hi: int, *, reach: int) -> int:
    """The index nearest ``target`` (within ``reach`` steps and the range) whose pitch class is in ``pcs``,
    else ``target``."""
    near = [i for i in range(max(lo, target - reach), min(hi, target + reach) + 1) if scale[i] % 12 in pcs]
    return min(near, key=lambda i: (abs(i - target), i)) if near else target
