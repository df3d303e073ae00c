"""Musical metrics of generated parts, shared by model evaluation, benchmarks and notebooks.

Every metric takes plain notes (``state.Note`` or ``(pitch, start, duration, velocity)``
tuples, times in quarter-note beats) and the musical context, and returns a float.

>>> from orchestria_lab.music.theory import Chord, parse_key
>>> line = [Note(60, 0, 1), Note(62, 1, 1), Note(64, 2, 1), Note(66, 3, 1)]
>>> in_scale_ratio(line, parse_key("C")), in_scale_ratio(line, parse_key("Em"))   # F# is in E minor
(0.75, 1.0)
>>> chord_tone_ratio(line, [(0.0, 4.0, Chord(0, (0, 4, 7)))], time_signature="4/4")
0.5
>>> note_density(line, beats=4.0)
1.0
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from orchestria_lab.music.theory import Chord, Key, beats_per_bar
from orchestria_lab.state import Note

Chords = Sequence[tuple[float, float, Chord]]
#: General MIDI drums grouped by role for pattern features: kick, snare, clap, rim, closed hat,
#: open hat, ride, crash, toms; anything else (shakers, bells, congas ...) is percussion (9).
DRUM_GROUPS = {35: 0, 36: 0, 38: 1, 40: 1, 39: 2, 37: 3, 42: 4, 44: 4, 46: 5, 51: 6, 53: 6, 59: 6,
               49: 7, 52: 7, 55: 7, 57: 7, 41: 8, 43: 8, 45: 8, 47: 8, 48: 8, 50: 8}
_N_GROUPS = 10


def _notes(notes: Iterable) -> list[Note]:
    return [n if isinstance(n, Note) else Note(*n) for n in notes]


def _strong(start: float, time_signature: str) -> bool:
    """Whether an onset falls on a beat (the meter's pulse: quarters, or dotted quarters in 6/8)."""
    from orchestria_lab.models.tokens import metric_levels, steps_per_bar

    step = int(round(start * 4))
    return step == start * 4 and metric_levels(time_signature)[step % steps_per_bar(time_signature)] <= 1


def chord_at(chords: Chords, beat: float) -> Chord | None:
    """The chord sounding at ``beat`` (None outside the progression)."""
    for start, duration, chord in chords:
        if start <= beat < start + duration:
            return chord
    return None


def key_pitch_classes(key: Key) -> set[int]:
    """The pitch classes that belong to ``key``: its scale, and in minor keys also the raised
    sixth and seventh degrees of the melodic and harmonic minor (the leading tone).

    >>> from orchestria_lab.music.theory import parse_key
    >>> sorted(key_pitch_classes(parse_key("Am"))), sorted(key_pitch_classes(parse_key("C")))
    ([0, 2, 4, 5, 6, 7, 8, 9, 11], [0, 2, 4, 5, 7, 9, 11])
    """
    pcs = set(key.scale)
    if key.mode in ("minor", "harmonic minor"):
        pcs |= {(key.tonic_pc + 9) % 12, (key.tonic_pc + 11) % 12}
    return pcs


def in_scale_ratio(notes: Iterable, key: Key) -> float:
    """Fraction of notes whose pitch class belongs to ``key`` (see :func:`key_pitch_classes`)."""
    notes = _notes(notes)
    if not notes:
        return float("nan")
    pcs = key_pitch_classes(key)
    return float(np.mean([n.pitch % 12 in pcs for n in notes]))


def pitch_class_histogram(notes: Iterable, *, tonic: int = 0) -> np.ndarray:
    """Duration-weighted pitch-class distribution, rotated so index 0 is ``tonic``."""
    hist = np.zeros(12)
    for n in _notes(notes):
        hist[(n.pitch - tonic) % 12] += n.duration
    return hist / hist.sum() if hist.sum() > 0 else hist


def histogram_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Total-variation distance between two distributions (0 same, 1 disjoint).

    >>> histogram_distance(np.array([1.0, 0, 0]), np.array([0.5, 0.5, 0]))
    0.5
    """
    p, q = np.asarray(p, float), np.asarray(q, float)
    return float(0.5 * np.abs(p / max(p.sum(), 1e-12) - q / max(q.sum(), 1e-12)).sum())


def chord_tone_ratio(notes: Iterable, chords: Chords, *, time_signature: str, strong_only: bool = True) -> float:
    """Fraction of notes starting on a beat (``strong_only``) that are tones of the sounding chord."""
    hits = []
    for n in _notes(notes):
        if strong_only and not _strong(n.start, time_signature):
            continue
        chord = chord_at(chords, n.start)
        if chord is not None:
            hits.append(n.pitch % 12 in chord.pitch_classes)
    return float(np.mean(hits)) if hits else float("nan")


def root_agreement(bass: Iterable, chords: Chords) -> float:
    """Fraction of chord changes where the lowest bass note sounding at the change is the root."""
    bass = _notes(bass)
    hits, previous = [], None
    for start, _, chord in sorted(chords, key=lambda c: c[0]):
        if (chord.root, chord.intervals) == previous:
            continue
        previous = (chord.root, chord.intervals)
        sounding = [n for n in bass if n.start <= start < n.start + n.duration or start <= n.start < start + 0.5]
        if sounding:
            hits.append(min(sounding, key=lambda n: (n.start, n.pitch)).pitch % 12 == chord.root)
        else:
            hits.append(False)
    return float(np.mean(hits)) if hits else float("nan")


def kick_lock(bass: Iterable, kick_beats: Iterable[float]) -> float:
    """Fraction of kicks with a bass attack on the same 16th."""
    onsets = {int(round(n.start * 4)) for n in _notes(bass)}
    kicks = {int(round(b * 4)) for b in kick_beats}
    return float(len(kicks & onsets) / len(kicks)) if kicks else float("nan")


def note_density(notes: Iterable, *, beats: float) -> float:
    """Onsets per beat."""
    return len({(n.start, n.pitch) for n in _notes(notes)}) / beats


def _bar_contents(notes: Iterable, *, time_signature: str, bars: int) -> list[frozenset]:
    bar = beats_per_bar(time_signature)
    contents: list[set] = [set() for _ in range(bars)]
    for n in _notes(notes):
        index = int(n.start // bar)
        if 0 <= index < bars:
            contents[index].add((round((n.start - index * bar) * 4), n.pitch))  # on the 16th grid
    return [frozenset(c) for c in contents]


def repetition_ratio(notes: Iterable, *, time_signature: str, bars: int) -> float:
    """Fraction of bars after the first that repeat an earlier bar (pitches and 16th-note onsets)."""
    contents = _bar_contents(notes, time_signature=time_signature, bars=bars)
    if bars < 2:
        return float("nan")
    return float(np.mean([contents[i] in set(contents[:i]) for i in range(1, bars)]))


def onset_grid(notes: Iterable, *, time_signature: str, bars: int) -> np.ndarray:
    """``(bars, steps)`` booleans: whether any note starts on each 16th of each bar."""
    from orchestria_lab.models.tokens import steps_per_bar

    spb = steps_per_bar(time_signature)
    grid = np.zeros((bars, spb), dtype=bool)
    for n in _notes(notes):
        step = int(round(n.start * 4))
        if 0 <= step < bars * spb:
            grid[step // spb, step % spb] = True
    return grid


def groove_consistency(notes: Iterable, *, time_signature: str, bars: int) -> float:
    """One minus the mean Hamming distance between the onset grids of every pair of bars (Wu and
    Yang 2020): 1 when every bar has the same rhythm."""
    grid = onset_grid(notes, time_signature=time_signature, bars=bars)
    if bars < 2:
        return float("nan")
    pairs = [np.mean(grid[i] != grid[j]) for i in range(bars) for j in range(i + 1, bars)]
    return float(1.0 - np.mean(pairs))


def drum_pattern_features(notes: Iterable, *, time_signature: str, bars: int) -> np.ndarray:
    """Per voice group (see ``DRUM_GROUPS``) and 16th of the bar: the share of bars with an
    onset there; flattened to ``10 * steps`` numbers."""
    from orchestria_lab.models.tokens import steps_per_bar

    spb = steps_per_bar(time_signature)
    hits = {(step // spb, DRUM_GROUPS.get(n.pitch, _N_GROUPS - 1), step % spb)
            for n in _notes(notes) if 0 <= (step := int(round(n.start * 4))) < bars * spb}
    feats = np.zeros((_N_GROUPS, spb))
    for _, group, step in hits:
        feats[group, step] += 1
    return (feats / bars).ravel()


def genre_separability(samples: Mapping[str, Sequence[np.ndarray]], centroids: Mapping[str, np.ndarray]) -> float:
    """Nearest-centroid accuracy: the share of samples, over all genres, whose features lie
    nearest the centroid of the genre they were made for.

    >>> genre_separability({"a": [np.array([0.0, 1])], "b": [np.array([1.0, 0])]},
    ...                    {"a": np.array([0.0, 0.9]), "b": np.array([0.9, 0.1])})
    1.0
    """
    names = list(centroids)
    matrix = np.stack([centroids[g] for g in names])
    hits = []
    for genre, rows in samples.items():
        for x in rows:
            hits.append(names[int(np.argmin(((matrix - x) ** 2).sum(axis=1)))] == genre)
    return float(np.mean(hits)) if hits else float("nan")


def strong_beat_chord_tones(notes: Iterable, chords: Chords, *, time_signature: str) -> float:
    """Fraction of notes starting on a strong beat (the downbeat and the bar's other accent:
    beats 1 and 3 in 4/4, the downbeat in 3/4 and 6/8, as :attr:`Meter.strong`) that are tones
    of the chord sounding; onsets within 0.06 beats of the beat count (a line played by hand).

    >>> line = [Note(60, 0, 1), Note(62, 1, 1), Note(65, 2, 1), Note(64, 3, 1)]
    >>> strong_beat_chord_tones(line, [(0.0, 4.0, Chord(0, (0, 4, 7)))], time_signature="4/4")
    0.5
    """
    hits = _strong_beat_hits(notes, chords, time_signature=time_signature)
    return float(np.mean(hits)) if hits else float("nan")


def _strong_beat_hits(notes: Iterable, chords: Chords, *, time_signature: str) -> list[bool]:
    from orchestria_lab.music.analysis import strong_beat_tones

    return strong_beat_tones(_notes(notes), chords, time_signature=time_signature)


def _beat_hits(notes: Iterable, chords: Chords, *, time_signature: str) -> list[bool]:
    """What :func:`chord_tone_ratio` averages: for each note on a beat, whether it is a chord tone."""
    return [n.pitch % 12 in chord.pitch_classes for n in _notes(notes) if _strong(n.start, time_signature)
            and (chord := chord_at(chords, n.start)) is not None]


@dataclass(frozen=True)
class CorpusPiece:
    """One piece of a prepared corpus as notes: its top line (the soprano of a chorale, a folk
    tune's melody), its chord labels as ``(start, duration, Chord)``, key and meter."""

    name: str
    melody: tuple[Note, ...]
    chords: tuple[tuple[float, float, Chord], ...]
    key: str
    time_signature: str


def corpus_pieces(name: str = "chorales") -> list[CorpusPiece]:
    """The pieces of a prepared corpus (``data/corpus/<name>.npz``, read with the models' loader) in
    a meter the grid knows. The chords are the corpus's own labels, found from every voice of the
    piece (the chorales: the chord on the first beat of each half bar in 4/4, of each bar in 3/4)."""
    from orchestria_lab.models.corpus import load, pieces
    from orchestria_lab.models.tokens import (
        HOLD,
        METERS,
        NO_CHORD,
        REST,
        STEPS_PER_BEAT,
        chord_of,
        chord_slots,
        steps_per_bar,
        token_pitch,
    )

    arrays = load(name)
    lines, labels = pieces(arrays, "melody"), pieces(arrays, "chords", "chord_offsets")
    out = []
    for i, (line, chords) in enumerate(zip(lines, labels, strict=True)):
        time_signature = METERS[int(arrays["meter"][i])]
        if time_signature == "other":
            continue
        key = Key(int(arrays["tonic"][i]), "minor" if arrays["mode"][i] else "major")
        notes, onset, pitch = [], None, 0
        for step, token in enumerate([*line.tolist(), REST]):
            if token == HOLD:
                continue
            if onset is not None:
                notes.append(Note(pitch, onset / STEPS_PER_BEAT, (step - onset) / STEPS_PER_BEAT, 90))
            onset, pitch = (None, 0) if token == REST else (step, token_pitch(token))
        slot = steps_per_bar(time_signature) // chord_slots(time_signature) / STEPS_PER_BEAT
        timed = tuple((k * slot, slot, chord_of(int(t), tonic_pc=key.tonic_pc, flats=key.flats))
                      for k, t in enumerate(chords.tolist()) if t != NO_CHORD)
        out.append(CorpusPiece(str(arrays["names"][i]), tuple(notes), timed, key.name, time_signature))
    return out


def corpus_chord_tone_rates(name: str = "chorales") -> dict[str, float]:
    """How often a corpus's melody notes are tones of its own chords: on strong beats
    (:func:`strong_beat_chord_tones`) and on every beat (:func:`chord_tone_ratio`), over all its notes
    (each note counts once, whichever piece it is in)."""
    strong: list[bool] = []
    beat: list[bool] = []
    for piece in corpus_pieces(name):
        strong += _strong_beat_hits(piece.melody, piece.chords, time_signature=piece.time_signature)
        beat += _beat_hits(piece.melody, piece.chords, time_signature=piece.time_signature)
    return {"strong": float(np.mean(strong)), "beat": float(np.mean(beat))}
