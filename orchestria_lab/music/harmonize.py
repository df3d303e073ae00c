"""Chords that fit a melody, by rule: each pulse of the song scored for every candidate chord by
how much of the melody sounding there the chord holds, joined by the genre's progressions, and
the best path through the song found by dynamic programming (Viterbi).

A note counts by how long it sounds in the pulse, times how strong the place where it starts
is (the downbeat most, then the bar's other strong beat, the other beats, the eighths); a note
that starts on a strong beat is held to be a chord tone much harder, as in a chorale. The
candidates are the key's chords of the kinds the genre's progressions use (triads for folk and
pop, sevenths and ninths for lo-fi and jazz), the dominant seventh, and secondary dominants at
a cost; a change of chord costs less on a downbeat than mid-bar, so the harmonic rhythm is
mostly a chord a bar or two, and moves faster only where the melody asks.

>>> from orchestria_lab.music.notes import Note
>>> tune = [Note(p, float(i), 1.0) for i, p in enumerate(
...     (60, 64, 67, 64, 65, 69, 72, 69, 67, 71, 74, 71, 72, 67, 64, 60))]
>>> [(s, d, c.symbol) for s, d, c in harmonize(tune, key="C", genre="folk", time_signature="4/4", bars=4)]
[(0.0, 4.0, 'C'), (4.0, 4.0, 'F'), (8.0, 4.0, 'G'), (12.0, 4.0, 'C')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from orchestria_lab.music.notes import Note
from orchestria_lab.music.progressions import FAMILIES, TimedChord, family_for, make_chord
from orchestria_lab.music.rhythm import Meter
from orchestria_lab.music.theory import Chord, Key, parse_key

#: How strongly a note counts, by where it starts: the downbeat, the bar's other strong beat, another
#: beat, an eighth, anything finer; a note held over from an earlier pulse counts as ``HELD``.
ONSET_WEIGHT = {"downbeat": 3.0, "strong": 2.5, "beat": 1.5, "eighth": 1.0, "other": 0.6}
HELD = 0.5
#: The extra weight of a note that starts on a strong beat: it is made a chord tone whenever a chord
#: that holds it can follow from the one before.
ANCHOR = 4.0
#: What a note the chord does not hold costs, against the 1 a chord tone earns: a scale note
#: (a passing or neighbour tone) and a chromatic one (which few chords could hold).
MISS = {"scale": 0.7, "chromatic": 0.3}
#: What a change of chord costs, by where it falls.
CHANGE = {"downbeat": 0.4, "strong": 1.0, "beat": 3.0}
#: What keeping a chord costs where the genre's progressions change chord (each bar for most, every
#: other bar for ambient, each half bar in jazz): the harmonic rhythm of the style.
HOLD = 3.0
#: How much the genre's progressions (the log-probability of one root degree after another) count.
PROGRESSION_WEIGHT = 1.2
#: The pull towards the tonic chord at the first pulse and at the end (a cadence).
TONIC_START, TONIC_END = 1.5, 2.5
#: What a secondary dominant costs (V7 of V, of vi ...): chosen where the melody sounds its raised note.
SECONDARY = 2.5
#: Chord kinds that belong to the degrees a style's progressions put them on (a dominant seventh on V).
DEGREE_KINDS = frozenset({"dom7", "dom9"})
#: Onsets this close (beats) to a grid position count as on it (a melody played by hand).
TOLERANCE = 0.06


@dataclass(frozen=True)
class Candidate:
    """A chord the harmoniser may choose: its root's scale degree (1-7), what choosing it costs,
    and for a secondary dominant the degree it leads to."""

    chord: Chord
    degree: int
    cost: float = 0.0
    resolves_to: int | None = None


def candidates(key: Key, family: str) -> list[Candidate]:
    """The chords ``family`` harmonises with in ``key`` (see the module docstring).

    >>> sorted({c.chord.symbol for c in candidates(parse_key("C"), "pop") if c.cost < 0.1})
    ['Am', 'C', 'Dm', 'Em', 'F', 'G', 'G7']
    """
    mode = "minor" if key.is_minor else "major"
    steps = {(degree, "triad" if kind == "5" else kind) for t in FAMILIES[family][mode] for degree, kind, _ in t}
    general = {kind for _, kind in steps if kind not in DEGREE_KINDS}  # dominant chords stay on their degrees
    out: dict[tuple[int, tuple[int, ...]], Candidate] = {}

    def put(c: Candidate) -> None:
        k = (c.chord.root, c.chord.intervals)
        if not c.chord.quality and c.chord.intervals != (0, 4, 7):
            return  # a chord with no symbol could not be written into the session's chord plan
        if k not in out or out[k].cost > c.cost:
            out[k] = c

    for degree in range(1, 8):
        for kind in sorted(general | {"triad"} | {k for d, k in steps if d == degree}):
            chord = make_chord(key, degree, kind)
            diminished = 6 in chord.intervals[:3] and 7 not in chord.intervals
            used = kind in general or (degree, kind) in steps
            put(Candidate(chord, degree, (0.0 if used else 0.3) + (0.5 if diminished else 0.0)))
    fifth = key.degree_pc(5)
    put(Candidate(Chord(fifth, (0, 4, 7, 10), key.flats), 5, 0.0 if key.is_minor else 0.05))
    put(Candidate(Chord(fifth, (0, 4, 7), key.flats), 5, 0.1))
    for target in ((2, 3, 4, 5, 6) if not key.is_minor else (4, 5)):  # V7 of ii, iii, IV, V, vi
        root = (key.degree_pc(target) + 7) % 12
        put(Candidate(Chord(root, (0, 4, 7, 10), key.flats), (target + 3) % 7 + 1, SECONDARY, target))
    if key.is_minor:  # the raised sixth and seventh: IV major (melodic minor) and vii°7 (harmonic)
        put(Candidate(Chord(key.degree_pc(4), (0, 4, 7), key.flats), 4, SECONDARY / 2))
        put(Candidate(Chord((key.tonic_pc + 11) % 12, (0, 3, 6, 9), key.flats), 7, SECONDARY / 2, 1))
    return list(out.values())


@lru_cache(maxsize=64)
def _degree_moves(family: str, mode: str) -> np.ndarray:
    """``log P(next root degree | root degree)`` from the family's templates (looped), smoothed
    with the common root motions (down a fifth most, then by step and third)."""
    prior = np.array([0.6, 1.5, 1.0, 3.0, 1.5, 1.5, 1.0])  # by (next - this) % 7: same, a step up ... a fourth up
    counts = np.array([np.roll(prior, a) for a in range(7)])
    for template in FAMILIES[family][mode]:
        degrees = [d for d, _, _ in template]
        for a, b in zip(degrees, degrees[1:] + degrees[:1], strict=True):
            counts[a - 1, b - 1] += 2.0
    return np.log(counts / counts.sum(axis=1, keepdims=True))


@lru_cache(maxsize=64)
def _pace(family: str, mode: str) -> float:
    """The bars a chord of ``family`` usually lasts (the median of its templates' chords)."""
    return float(np.median([length for t in FAMILIES[family][mode] for _, _, length in t]))


def _due(bars: float, pace: float) -> bool:
    """Whether a chord change is due ``bars`` into the song (at a multiple of ``pace`` bars)."""
    steps = bars / pace
    return abs(steps - round(steps)) < 1e-6 and bars > 1e-6


def _place(position: float, meter: Meter) -> str:
    """What kind of place ``position`` (beats into a bar) is: downbeat, strong, beat, eighth, other."""
    def near(x: float) -> bool:
        return abs(position - x) <= TOLERANCE

    if near(0.0) or near(meter.beats_per_bar):
        return "downbeat"
    if any(near(s) for s in meter.strong):
        return "strong"
    if any(near(s) for s in meter.group_starts):
        return "beat"
    if abs(position / 0.5 - round(position / 0.5)) * 0.5 <= TOLERANCE:
        return "eighth"
    return "other"


def harmonize(melody: Sequence[Note], *, key: str | Key, genre: str, time_signature: str, bars: int,
              first_bar: int = 1, style: str | None = None) -> list[TimedChord]:
    """Chords for bars ``first_bar`` to ``first_bar + bars - 1`` (counted from 1) that fit ``melody``
    (any notes: a line, or several), as ``[(start beat, duration, Chord)]``, one entry per chord held.
    ``style`` names a progression family other than the genre's."""
    key = parse_key(key) if isinstance(key, str) else key
    meter = Meter.of(time_signature)
    bar = meter.beats_per_bar
    family = family_for(genre, style)
    cands = candidates(key, family)
    units = [(b * bar + s, length) for b in range(first_bar - 1, first_bar - 1 + bars)
             for s, length in zip(meter.group_starts, meter.group_lengths, strict=True)]
    if not units:
        return []
    places = [_place(s % bar, meter) for s, _ in units]
    pace = _pace(family, "minor" if key.is_minor else "major")
    due = np.array([_due(s / bar, pace) for s, _ in units])
    tones = np.array([[pc in c.chord.pitch_classes for pc in range(12)] for c in cands])
    scale = np.array([pc in key.scale for pc in range(12)])
    reward = np.where(tones, 1.0, -np.where(scale, MISS["scale"], MISS["chromatic"])[None, :])
    emission = reward @ _weights(melody, units, places, meter).T  # (candidates, units)
    moves = _degree_moves(family, "minor" if key.is_minor else "major")
    degrees = np.array([c.degree - 1 for c in cands])
    trans = PROGRESSION_WEIGHT * moves[degrees[:, None], degrees[None, :]]
    for i, c in enumerate(cands):
        if c.resolves_to is not None:
            trans[i] += np.where(degrees == c.resolves_to - 1, 1.0, -1.5)
    cost = np.array([c.cost for c in cands])
    tonic = np.array([c.degree == 1 and c.chord.root == key.tonic_pc and c.resolves_to is None for c in cands])
    last = max((u for u, (s, d) in enumerate(units) if any(n.start < s + d and n.start + n.duration > s
                                                            for n in melody)), default=len(units) - 1)
    score = emission[:, 0] - cost + TONIC_START * tonic
    back = np.zeros((len(units), len(cands)), dtype=np.int64)
    for u in range(1, len(units)):
        change = score[:, None] + trans - CHANGE.get(places[u], CHANGE["beat"]) - cost[None, :]
        best = change.argmax(axis=0)
        moved = change[best, np.arange(len(cands))]
        held = score - HOLD * due[u]
        stay = moved < held
        back[u] = np.where(stay, np.arange(len(cands)), best)
        score = np.where(stay, held, moved) + emission[:, u] + (TONIC_END * tonic if u == last else 0.0)
    path = [int(score.argmax())]
    for u in range(len(units) - 1, 0, -1):
        path.append(int(back[u, path[-1]]))
    path.reverse()
    out: list[TimedChord] = []
    for (start, length), i in zip(units, path, strict=True):
        chord = cands[i].chord
        if out and out[-1][2] == chord:
            out[-1] = (out[-1][0], round(out[-1][1] + length, 4), chord)
        else:
            out.append((round(start, 4), length, chord))
    return out


def _weights(melody: Sequence[Note], units: Sequence[tuple[float, float]], places: Sequence[str],
             meter: Meter) -> np.ndarray:
    """``(units, 12)``: how much each pitch class of ``melody`` counts in each pulse."""
    out = np.zeros((len(units), 12))
    if not units:
        return out
    first, bar = units[0][0], meter.beats_per_bar
    end = units[-1][0] + units[-1][1]
    starts = np.array([s for s, _ in units])
    for n in melody:
        lo, hi = max(n.start, first), min(n.start + n.duration, end)
        if hi <= lo:
            continue
        k = int(np.searchsorted(starts, lo + TOLERANCE, side="right")) - 1
        onset_unit = int(np.searchsorted(starts, n.start + TOLERANCE, side="right")) - 1
        while k < len(units) and units[k][0] < hi - 1e-9:
            s, length = units[k]
            overlap = min(hi, s + length) - max(lo, s)
            if overlap > 1e-9:
                if k == onset_unit:
                    place = _place(n.start % bar, meter)
                    weight = ONSET_WEIGHT[place]
                    if place in ("downbeat", "strong") and places[k] in ("downbeat", "strong"):
                        out[k, n.pitch % 12] += ANCHOR
                else:
                    weight = HELD
                out[k, n.pitch % 12] += min(overlap, length) * weight
            k += 1
    return out
