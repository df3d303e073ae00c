"""Conditioning features of every model, built the same way for training and generation.

Each step (a grid step, or a chord slot for harmony) carries a row of small categorical
features; the model embeds and sums them. ``FEATURES[part]`` names them with their sizes.

>>> f = drum_features(genre="house", meter="4/4", n_bars=2)
>>> f.shape, f[:5, FEATURE_INDEX["drums"]["level"]].tolist()
((32, 6), [0, 3, 2, 3, 1])

The harmony model is also conditioned on the melody it harmonises, read at each chord slot
(:func:`melody_features`); a progression made without one gets the "no melody" values, which
training shows it a share of the time (``datasets.MELODY_DROPOUT``), so one model does both.
"""

from __future__ import annotations

import numpy as np

from orchestria_lab.models.tokens import (
    METERS,
    PITCH_LOW,
    PITCH_OFFSET,
    QUALITIES,
    STYLES,
    chord_slots,
    meter_id,
    metric_levels,
    steps_per_bar,
)
from orchestria_lab.music.genres import MODEL_GENRES, model_genre
from orchestria_lab.music.theory import Chord

POSITIONS = 32
PHRASE = 4
TO_END = 4
#: Beats of a chord slot whose melody note the harmony model reads (a slot has one to three).
MELODY_BEATS = 3
#: A melody beat's value: ``2 * pitch class above the tonic + (1 if a note starts there)``, or these.
MELODY_REST, NO_BEAT, NO_MELODY_BEAT = 24, 25, 26
#: The slot's main pitch class (sounding longest, above the tonic), or these.
MELODY_SILENT, NO_MELODY_MAIN = 12, 13
_MELODY = (*((f"melody_beat{i + 1}", NO_MELODY_BEAT + 1) for i in range(MELODY_BEATS)),
           ("melody_main", NO_MELODY_MAIN + 1))
#: The melody columns' values when no melody is given.
NO_MELODY = np.array([NO_MELODY_BEAT] * MELODY_BEATS + [NO_MELODY_MAIN], dtype=np.int64)
_GRID = (("pos", POSITIONS), ("level", 4), ("phrase", PHRASE), ("to_end", TO_END))
_PITCHED = (
    ("tonic", 12), ("mode", 2), ("style", len(STYLES)), ("meter", len(METERS)), *_GRID,
    ("chord_root", 13), ("chord_quality", len(QUALITIES) + 1), ("chord_start", 2),
)
FEATURES: dict[str, tuple[tuple[str, int], ...]] = {
    "harmony": (("mode", 2), ("style", len(STYLES)), ("meter", len(METERS)), ("slot", 2),
                ("phrase", PHRASE), ("to_end", TO_END), *_MELODY),
    "melody": _PITCHED,
    "bass": (*_PITCHED, ("kick", 2)),
    "drums": (("genre", len(MODEL_GENRES) + 1), ("meter", len(METERS)), *_GRID),
}
#: The drum model's "no genre" value: training withholds the genre now and then so that
#: sampling can use classifier-free guidance (see ``sampling.Stepper.run``).
NO_GENRE = len(MODEL_GENRES)
FEATURE_INDEX = {part: {name: i for i, (name, _) in enumerate(spec)} for part, spec in FEATURES.items()}
NO_ROOT, NO_QUALITY = 12, len(QUALITIES)


def bar_features(*, n_bars: int, start_bar: int = 0, total_bars: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per bar: position in a four-bar phrase and bars to the end (0 = last bar, capped at 3)."""
    bars = np.arange(start_bar, start_bar + n_bars)
    total = start_bar + n_bars if total_bars is None else total_bars
    return bars % PHRASE, np.clip(total - 1 - bars, 0, TO_END - 1)


def grid_features(*, meter: str, n_bars: int, start_bar: int = 0, total_bars: int | None = None) -> np.ndarray:
    """``(steps, 4)``: step in bar, metric level, phrase position and bars to the end."""
    spb = steps_per_bar(meter)
    phrase, to_end = bar_features(n_bars=n_bars, start_bar=start_bar, total_bars=total_bars)
    pos = np.tile(np.minimum(np.arange(spb), POSITIONS - 1), n_bars)
    level = np.tile(metric_levels(meter), n_bars)
    return np.stack([pos, level, np.repeat(phrase, spb), np.repeat(to_end, spb)], axis=1)


def quality_index(intervals: tuple[int, ...]) -> int:
    """The known quality closest to a chord's intervals (extensions fold into sevenths).

    >>> QUALITIES[quality_index((0, 4, 7, 11, 14))][0], QUALITIES[quality_index((0, 7))][0]
    ('maj7', '')
    """
    pcs = {i % 12 for i in intervals}
    best = max(range(len(QUALITIES)), key=lambda q: (len(pcs & set(QUALITIES[q][1])) - 0.5 * len(set(QUALITIES[q][1]) - pcs), -q))
    return best


def chord_steps(chords: list[tuple[float, float, Chord]], n_steps: int, *, steps_per_beat: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per step: absolute chord root (12 = none), quality index and whether a new chord starts."""
    root = np.full(n_steps, NO_ROOT, dtype=np.int64)
    quality = np.full(n_steps, NO_QUALITY, dtype=np.int64)
    start = np.zeros(n_steps, dtype=np.int64)
    previous = None
    for beat, duration, chord in sorted(chords, key=lambda c: c[0]):
        a = max(0, int(round(beat * steps_per_beat)))
        b = min(n_steps, int(round((beat + duration) * steps_per_beat)))
        if b <= a:
            continue
        root[a:b] = chord.root % 12
        quality[a:b] = quality_index(tuple(chord.intervals))
        this = (chord.root % 12, quality[a])
        start[a] = int(this != previous)
        previous = this
    return root, quality, start


def pitched_features(
    *,
    meter: str,
    tonic: int,
    mode: int,
    style: int,
    chord_root: np.ndarray,
    chord_quality: np.ndarray,
    chord_start: np.ndarray,
    start_bar: int = 0,
    total_bars: int | None = None,
    kick: np.ndarray | None = None,
) -> np.ndarray:
    """``(steps, F)`` features of a melody (``kick=None``) or bass line."""
    n = len(chord_root)
    grid = grid_features(meter=meter, n_bars=n // steps_per_bar(meter), start_bar=start_bar, total_bars=total_bars)
    const = np.tile(np.array([tonic % 12, mode, style, meter_id(meter)], dtype=np.int64), (n, 1))
    cols = [const, grid, np.stack([chord_root, chord_quality, chord_start], axis=1)]
    if kick is not None:
        cols.append(np.asarray(kick, dtype=np.int64)[:, None])
    return np.concatenate(cols, axis=1).astype(np.int64)


def harmony_features(
    *, meter: str, mode: int, style: int, n_bars: int, start_bar: int = 0, total_bars: int | None = None,
    melody: np.ndarray | None = None,
) -> np.ndarray:
    """``(slots, 10)`` features of a chord progression: one row per chord slot, its last four the
    melody's there (``melody``: :func:`melody_features` rows; None: no melody).

    >>> f = harmony_features(meter="4/4", mode=0, style=0, n_bars=2)
    >>> f.shape, f[0, -4:].tolist() == NO_MELODY.tolist()
    ((4, 10), True)
    """
    slots = chord_slots(meter)
    phrase, to_end = bar_features(n_bars=n_bars, start_bar=start_bar, total_bars=total_bars)
    n = n_bars * slots
    tune = np.tile(NO_MELODY, (n, 1)) if melody is None else np.asarray(melody, dtype=np.int64)
    if tune.shape != (n, len(NO_MELODY)):
        raise ValueError(f"melody features of shape {tune.shape}: expected ({n}, {len(NO_MELODY)}), one row a slot")
    return np.concatenate([np.stack([
        np.full(n, mode), np.full(n, style), np.full(n, meter_id(meter)),
        np.tile(np.arange(slots), n_bars), np.repeat(phrase, slots), np.repeat(to_end, slots),
    ], axis=1), tune], axis=1).astype(np.int64)


def melody_features(tokens: np.ndarray, *, meter: str, tonic: int) -> np.ndarray:
    """``(slots, 4)``: what a melody (grid tokens, whole bars) plays in each chord slot: the note
    sounding on each of the slot's first :data:`MELODY_BEATS` beats (its pitch class above the
    tonic, and whether it starts there; :data:`MELODY_REST`; :data:`NO_BEAT` past the slot's
    beats) and the pitch class sounding longest (:data:`MELODY_SILENT` if none).

    >>> from orchestria_lab.models.tokens import pitch_token
    >>> bar = [pitch_token(62), 1, 1, 1, 1, 1, 1, 1, pitch_token(67), 1, 1, 1, 0, 0, pitch_token(71), 1]
    >>> melody_features(np.array(bar), meter="4/4", tonic=7).tolist()   # G major: D held, then G, rest
    [[15, 14, 25, 7], [1, 24, 25, 0]]
    """
    tokens = np.asarray(tokens, dtype=np.int64)
    spb, slots = steps_per_bar(meter), chord_slots(meter)
    n_bars = len(tokens) // spb
    onset = tokens >= PITCH_OFFSET
    last = np.maximum.accumulate(np.where(onset | (tokens == 0), np.arange(len(tokens)), 0))
    pcs = np.where(tokens[last] >= PITCH_OFFSET, (tokens[last] - PITCH_OFFSET + PITCH_LOW - tonic) % 12, -1)
    width = spb // slots
    levels = metric_levels(meter)
    out = np.empty((n_bars * slots, len(NO_MELODY)), dtype=np.int64)
    for s in range(n_bars * slots):
        a = s * width
        beats = [a + k for k in range(width) if levels[(a + k) % spb] <= 1][:MELODY_BEATS]
        for j in range(MELODY_BEATS):
            if j >= len(beats):
                out[s, j] = NO_BEAT
            else:
                t = beats[j]
                out[s, j] = MELODY_REST if pcs[t] < 0 else 2 * pcs[t] + int(onset[t])
        sounding = pcs[a:a + width]
        sounding = sounding[sounding >= 0]
        out[s, -1] = int(np.bincount(sounding, minlength=12).argmax()) if len(sounding) else MELODY_SILENT
    return out


def drum_features(
    *, genre: str | None, meter: str, n_bars: int, start_bar: int = 0, total_bars: int | None = None
) -> np.ndarray:
    """``(steps, 6)`` features of a drum part: genre (None: withheld), meter and the metric grid."""
    grid = grid_features(meter=meter, n_bars=n_bars, start_bar=start_bar, total_bars=total_bars)
    g = NO_GENRE if genre is None else MODEL_GENRES.index(model_genre(genre))
    const = np.tile(np.array([g, meter_id(meter)]), (len(grid), 1))
    return np.concatenate([const, grid], axis=1).astype(np.int64)
