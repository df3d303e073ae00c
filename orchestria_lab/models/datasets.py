"""Training and evaluation examples of each model, cut from the prepared token arrays.

An :class:`Example` is a token sequence with one feature row per token. ``examples(part,
split)`` without ``rng`` is deterministic (evaluation); with ``rng`` it augments: windows start
at random bars, melodies and bass lines are transposed to a random key out of all twelve, the
bass's kick channel is redrawn, and drum patterns are chained in pairs and sometimes have one
voice played by another (hats on the ride, a clap for the snare ...) or their genre withheld.

Every function takes the training ``corpus`` (``licences.CORPORA``): ``default`` leaves the
Essen tunes out (they are for non-commercial use only), ``essen`` adds them (research).

The harmony model also reads the melody over each chord slot (``corpus/pairs.npz``: the chorale
soprano, the folk tune). A training example has it withheld (the "no melody" values) with
probability ``MELODY_DROPOUT``, so one model makes progressions with a melody and without;
evaluation gives it (``melody=False`` withholds it: the same model, unconditioned). The Essen
tunes have no pairs: the research corpus sees them without a melody.

The chorales have no drummer, so the bass's kick channel is a noisy copy of the bass's own
attacks (70 % kept, and 6 % of the other on-grid eighths added): it teaches the model to
attack where the kick plays, which is what the bass agent asks of it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from orchestria_lab.errors import NotFound
from orchestria_lab.models.corpus import load as load_arrays
from orchestria_lab.models.corpus import pieces as cut_pieces
from orchestria_lab.models.corpus import split_of
from orchestria_lab.models.features import drum_features, harmony_features, pitched_features
from orchestria_lab.models.licences import corpus_datasets
from orchestria_lab.models.tokens import (
    CHORD_VOCAB,
    METERS,
    PITCH_HIGH,
    PITCH_LOW,
    PITCH_OFFSET,
    PITCH_VOCAB,
    QUALITIES,
    STYLES,
    chord_slots,
    metric_levels,
    steps_per_bar,
)
from orchestria_lab.music.genres import MODEL_GENRES

PARTS = ("harmony", "melody", "bass", "drums")
#: Which arrays each part learns from: (dataset, array, style); a corpus keeps the rows of its datasets.
SOURCES = {
    "harmony": (("folk", "chords", "folk"), ("essen", "chords", "folk"), ("chorales", "chords", "chorale")),
    "melody": (("folk", "melody", "folk"), ("essen", "melody", "folk"), ("chorales", "melody", "chorale")),
    "bass": (("chorales", "bass", "chorale"),),
    "drums": (("drums", "drums", None),),
}
#: Longest example, in tokens.
MAX_TOKENS = {"harmony": 128, "melody": 256, "bass": 256, "drums": 192}
KICK_KEEP, KICK_EXTRA = 0.7, 0.06
#: Share of training drum examples whose genre is withheld (for classifier-free guidance).
GENRE_DROPOUT = 0.2
#: Share of training harmony examples whose melody is withheld (one model, with and without one).
MELODY_DROPOUT = 0.3
#: What each part's model is conditioned on besides its features (said on its checkpoint card).
CONDITIONING = {
    "harmony": f"the melody over each chord slot (corpus/pairs.npz: the chorale soprano, the folk tune), "
               f"withheld in {MELODY_DROPOUT:.0%} of the training examples: one model with a melody and without",
}


@dataclass(frozen=True)
class Example:
    """A token sequence, its ``(len, F)`` features, its tokens per bar, and its piece's name."""

    tokens: np.ndarray
    features: np.ndarray
    name: str
    bar: int


def vocab_size(part: str) -> int:
    if part == "drums":
        return len(load_arrays("drums")["combos"])
    return CHORD_VOCAB if part == "harmony" else PITCH_VOCAB


def sources(part: str, corpus: str = "default") -> tuple[tuple[str, str, str | None], ...]:
    """The ``(dataset, array, style)`` rows ``part`` learns from in ``corpus``."""
    if part not in SOURCES:
        raise NotFound("model", part, PARTS)
    allowed = corpus_datasets(corpus)
    return tuple(row for row in SOURCES[part] if row[0] in allowed)


def datasets_of(part: str, corpus: str = "default") -> tuple[str, ...]:
    """The datasets ``part`` learns from in ``corpus`` (their hash goes on the checkpoint card).

    >>> datasets_of("harmony")
    ('chorales', 'folk', 'pairs')
    """
    used = {d for d, _, _ in sources(part, corpus)}
    return tuple(sorted(used | ({"pairs"} if part == "harmony" else set())))


@lru_cache(maxsize=1)
def _pairs() -> dict[str, np.ndarray]:
    arrays = load_arrays("pairs")
    rows = cut_pieces(arrays, "melody")
    return {str(name): rows[i].astype(np.int64) for i, name in enumerate(arrays["names"])}


def melody_rows(name: str) -> np.ndarray | None:
    """The melody features of piece ``name``'s chord slots (``(slots, 4)``), None if it has none."""
    return _pairs().get(name)


@lru_cache(maxsize=16)
def pieces_of(part: str, split: str, corpus: str = "default") -> tuple[tuple, ...]:
    """Pieces of ``split`` as ``(name, tokens, chords, tonic, mode, meter, style)`` rows."""
    rows = []
    for dataset, array, style in sources(part, corpus):
        arrays = load_arrays(dataset)
        tokens = cut_pieces(arrays, array, "chord_offsets" if array == "chords" else "offsets")
        chords = cut_pieces(arrays, "chords", "chord_offsets") if "chords" in arrays else [None] * len(tokens)
        for i, name in enumerate(arrays["names"]):
            if split_of(str(name)) != split:
                continue
            extra = int(arrays["genre"][i]) if part == "drums" else int(arrays["tonic"][i])
            rows.append((str(name), tokens[i].astype(np.int64), chords[i], extra,
                         int(arrays["mode"][i]) if "mode" in arrays else 0, METERS[int(arrays["meter"][i])],
                         STYLES.index(style) if style else 0))
    return tuple(rows)


def _seed(name: str) -> int:
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16)


def _windows(n_bars: int, size: int, rng: np.random.Generator | None) -> list[tuple[int, int]]:
    first = int(rng.integers(0, size)) if rng is not None and n_bars > size else 0
    edges = ([0] if first else []) + list(range(first, n_bars, size)) + [n_bars]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b - a >= 2 or n_bars < 2]


def examples(
    part: str, split: str, *, rng: np.random.Generator | None = None, limit: int | None = None,
    corpus: str = "default", melody: bool = True,
) -> list[Example]:
    """The examples of ``part`` in ``split`` (train, valid, test) of ``corpus``, augmented when
    ``rng`` is given; ``limit`` stops after that many (from pieces spread over the whole split).
    Harmony examples carry their melody, unless ``melody`` is False (or, training, by chance)."""
    rows = pieces_of(part, split, corpus)
    if limit is not None and len(rows) > limit:
        rows = rows[::len(rows) // limit][:limit]
    if part == "drums":
        return _drum_examples(rows, rng)[:limit]
    out = []
    for name, tokens, chords, tonic, mode, meter, style in rows:
        unit = chord_slots(meter) if part == "harmony" else steps_per_bar(meter)
        n_bars = len(tokens) // unit
        for a, b in _windows(n_bars, max(1, MAX_TOKENS[part] // unit), rng):
            window = tokens[a * unit:b * unit]
            if part == "harmony":
                tune = melody_rows(name) if melody else None
                if tune is not None and rng is not None and rng.random() < MELODY_DROPOUT:
                    tune = None
                feats = harmony_features(meter=meter, mode=mode, style=style, n_bars=b - a, start_bar=a,
                                         total_bars=n_bars, melody=None if tune is None else tune[a * unit:b * unit])
                out.append(Example(window, feats, name, unit))
                continue
            shift = _shift(window, rng)
            out.append(_pitched(part, name, window, chords, tonic, mode, meter, style, a, b, n_bars, shift, rng))
    return out[:limit]


def _shift(window: np.ndarray, rng: np.random.Generator | None) -> int:
    """A random transposition (-6 to +5 semitones) that keeps every pitch in the vocabulary."""
    if rng is None:
        return 0
    pitches = window[window >= PITCH_OFFSET] - PITCH_OFFSET + PITCH_LOW
    if len(pitches) == 0:
        return 0
    shift = int(rng.integers(-6, 6))
    while pitches.min() + shift < PITCH_LOW or pitches.max() + shift > PITCH_HIGH:
        shift += 12 if pitches.min() + shift < PITCH_LOW else -12
    return shift


def _pitched(part, name, window, chords, tonic, mode, meter, style, a, b, n_bars, shift, rng) -> Example:
    spb, slots = steps_per_bar(meter), chord_slots(meter)
    tokens = np.where(window >= PITCH_OFFSET, window + shift, window)
    tonic = (tonic + shift) % 12
    slot_chords = chords[a * slots:b * slots].astype(np.int64)
    degree, quality = np.divmod(slot_chords - 1, len(QUALITIES))
    per_slot = spb // slots
    root = np.repeat((tonic + degree) % 12, per_slot)
    qual = np.repeat(quality, per_slot)
    change = np.r_[True, slot_chords[1:] != slot_chords[:-1]]
    start = np.zeros(len(tokens), dtype=np.int64)
    start[::per_slot] = change
    kick = None
    if part == "bass":
        noise = rng if rng is not None else np.random.default_rng(_seed(name) + a)
        onset = tokens >= PITCH_OFFSET
        on_grid = np.tile(metric_levels(meter) <= 2, b - a)
        r = noise.random(len(tokens))
        kick = (onset & (r < KICK_KEEP)) | (~onset & on_grid & (r < KICK_EXTRA))
    feats = pitched_features(meter=meter, tonic=tonic, mode=mode, style=style, chord_root=root, chord_quality=qual,
                             chord_start=start, start_bar=a, total_bars=n_bars, kick=kick)
    return Example(tokens, feats, name, spb)


#: Voice swaps drummers and producers make without changing a groove's role (augmentation).
SWAPS = (("closed_hat", "ride"), ("ride", "closed_hat"), ("closed_hat", "shaker"), ("snare", "clap"),
         ("clap", "snare"), ("rim", "snare"), ("open_hat", "crash"))


@lru_cache(maxsize=16)
def _swap_table(a: str, b: str) -> np.ndarray:
    """Token -> token with voice ``a`` played by ``b`` (unchanged where that combination is unknown)."""
    labels = [str(x) for x in load_arrays("drums")["combos"]]
    index = {label: i for i, label in enumerate(labels)}
    table = np.arange(len(labels))
    for i, label in enumerate(labels):
        voices = label.split("+") if label else []
        if a in voices and b not in voices:
            swapped = "+".join(sorted(b if v == a else v for v in voices))
            table[i] = index.get(swapped, i)
    return table


def _drum_examples(rows: tuple[tuple, ...], rng: np.random.Generator | None) -> list[Example]:
    out = []
    for name, tokens, _, genre, _, meter, _ in rows:
        if rng is not None and rng.random() < 0.5:
            partners = [r for r in rows if r[3] == genre and r[5] == meter]
            tokens = np.concatenate([tokens, partners[int(rng.integers(len(partners)))][1]])
        if rng is not None and rng.random() < 0.3:
            tokens = _swap_table(*SWAPS[int(rng.integers(len(SWAPS)))])[tokens]
        spb = steps_per_bar(meter)
        withheld = rng is not None and rng.random() < GENRE_DROPOUT
        feats = drum_features(genre=None if withheld else MODEL_GENRES[genre], meter=meter, n_bars=len(tokens) // spb)
        out.append(Example(tokens, feats, name, spb))
    return out

