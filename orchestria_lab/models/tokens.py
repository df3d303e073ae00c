"""Token vocabularies shared by data preparation, training, generation and evaluation.

Everything is on a grid of 16th notes (``STEPS_PER_BEAT`` steps per quarter-note beat).
Pitched parts (melody, bass) use one vocabulary: ``REST``, ``HOLD`` (the sounding note goes
on) and one onset token per MIDI pitch. Chords are key-relative, like Roman numerals: a root
``degree`` in semitones above the tonic and a quality. No torch and no music21 here.

>>> pitch_token(60), token_pitch(pitch_token(60))
(41, 60)
>>> tok = chord_token(7, "7")
>>> roman(tok, "major"), chord_of(tok, tonic_pc=9).symbol   # V7 in A major is E7
('V7', 'E7')
>>> steps_per_bar("6/8"), metric_levels("6/8").tolist()
(12, [0, 3, 2, 3, 2, 3, 1, 3, 2, 3, 2, 3])
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.genres import model_genre
from orchestria_lab.music.theory import Chord, beats_per_bar, parse_time_signature

STEPS_PER_BEAT = 4

# --- pitched parts -------------------------------------------------------------------------
REST, HOLD = 0, 1
PITCH_LOW, PITCH_HIGH = 21, 108
PITCH_OFFSET = 2
PITCH_VOCAB = PITCH_OFFSET + PITCH_HIGH - PITCH_LOW + 1


def pitch_token(pitch: int) -> int:
    """Onset token of a MIDI pitch (21-108)."""
    if not PITCH_LOW <= pitch <= PITCH_HIGH:
        raise InvalidValue("pitch", pitch, f"a MIDI pitch from {PITCH_LOW} to {PITCH_HIGH}")
    return int(pitch) - PITCH_LOW + PITCH_OFFSET


def token_pitch(token: int) -> int:
    """MIDI pitch of an onset token."""
    return int(token) - PITCH_OFFSET + PITCH_LOW


#: MIDI pitch of every token (-1 for rest and hold), for vectorised masks.
TOKEN_PITCHES = np.array([-1, -1] + list(range(PITCH_LOW, PITCH_HIGH + 1)), dtype=np.int64)

# --- chords --------------------------------------------------------------------------------
#: Chord qualities the models know: name and intervals above the root.
QUALITIES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("", (0, 4, 7)), ("m", (0, 3, 7)), ("dim", (0, 3, 6)), ("aug", (0, 4, 8)),
    ("7", (0, 4, 7, 10)), ("maj7", (0, 4, 7, 11)), ("m7", (0, 3, 7, 10)),
    ("m7b5", (0, 3, 6, 10)), ("dim7", (0, 3, 6, 9)), ("sus4", (0, 5, 7)),
)
QUALITY_NAMES = tuple(q for q, _ in QUALITIES)
NO_CHORD = 0
CHORD_VOCAB = 1 + 12 * len(QUALITIES)
_ROMAN = ("I", "bII", "II", "bIII", "III", "IV", "#IV", "V", "bVI", "VI", "bVII", "VII")
#: Scale degree (semitones) that each Roman numeral names in minor keys differently.
_MINOR_ROMAN = {3: "III", 8: "VI", 10: "VII"}


def chord_token(degree: int, quality: str | int) -> int:
    """Token of the chord whose root is ``degree`` semitones above the tonic."""
    q = quality if isinstance(quality, int) else QUALITY_NAMES.index(quality)
    return 1 + (degree % 12) * len(QUALITIES) + q


def chord_parts(token: int) -> tuple[int, int]:
    """``(degree, quality index)`` of a chord token (``NO_CHORD`` has none)."""
    if token == NO_CHORD:
        raise InvalidValue("chord token", token, "a chord, not NO_CHORD")
    return divmod(int(token) - 1, len(QUALITIES))


def chord_of(token: int, *, tonic_pc: int, flats: bool = True) -> Chord:
    """The :class:`Chord` a key-relative token names in the key on ``tonic_pc``."""
    degree, q = chord_parts(token)
    return Chord((tonic_pc + degree) % 12, QUALITIES[q][1], flats)


def roman(token: int, mode: str = "major") -> str:
    """Roman numeral of a chord token: upper case for major, lower for minor chords."""
    if token == NO_CHORD:
        return "N"
    degree, q = chord_parts(token)
    numeral = _MINOR_ROMAN.get(degree, _ROMAN[degree]) if mode == "minor" else _ROMAN[degree]
    name, intervals = QUALITIES[q]
    if 3 in intervals[:2]:
        numeral = numeral.lower()
    suffix = {"": "", "m": "", "dim": "°", "aug": "+", "m7": "7", "m7b5": "ø7", "dim7": "°7"}
    return numeral + suffix.get(name, name)


def chord_pitch_classes(tokens: np.ndarray, tonic: np.ndarray) -> np.ndarray:
    """Boolean ``(n, 12)`` table: which absolute pitch classes each chord token contains."""
    table = np.zeros((CHORD_VOCAB, 12), dtype=bool)
    for tok in range(1, CHORD_VOCAB):
        degree, q = chord_parts(tok)
        for i in QUALITIES[q][1]:
            table[tok, (degree + i) % 12] = True
    rows = table[np.asarray(tokens)]
    shift = np.asarray(tonic) % 12
    idx = (np.arange(12)[None, :] - np.broadcast_to(shift, rows.shape[:1])[:, None]) % 12
    return np.take_along_axis(rows, idx, axis=1)


# --- meters and the metric grid -------------------------------------------------------------
METERS = ("4/4", "3/4", "2/4", "6/8", "3/8", "9/8", "12/8", "2/2", "3/2", "6/4", "4/2", "other")


def steps_per_bar(time_signature: str) -> int:
    """Grid steps (16th notes) in one bar; meters off the 16th grid are refused."""
    steps = beats_per_bar(time_signature) * STEPS_PER_BEAT
    if not float(steps).is_integer():
        raise InvalidValue("time_signature", time_signature, "a meter whose bar is a whole number of 16th notes")
    return int(steps)


def _is_compound(n: int, d: int) -> bool:
    return d >= 4 and n % 3 == 0 and n > 3


def meter_id(time_signature: str) -> int:
    """Index in ``METERS``; an unknown meter maps to the known one with the same feel and bar.

    >>> METERS[meter_id("4/4")], METERS[meter_id("12/16")], METERS[meter_id("7/8")]
    ('4/4', '6/8', 'other')
    """
    n, d = parse_time_signature(time_signature)
    name = f"{n}/{d}"
    if name in METERS:
        return METERS.index(name)
    bar, compound = n * 4.0 / d, _is_compound(n, d)
    candidates = [(abs(beats_per_bar(m) - bar) + (0 if _is_compound(*parse_time_signature(m)) == compound else 1.5), i)
                  for i, m in enumerate(METERS[:-1])]
    best, index = min(candidates)
    return index if best <= 0.25 else METERS.index("other")


@lru_cache(maxsize=64)
def _levels(time_signature: str) -> tuple[int, ...]:
    n, d = parse_time_signature(time_signature)
    spb = steps_per_bar(time_signature)
    pulse = 3 * 16 // d if _is_compound(n, d) else max(1, 16 // d)
    out = []
    for s in range(spb):
        out.append(0 if s == 0 else 1 if s % pulse == 0 else 2 if s % 2 == 0 else 3)
    return tuple(out)


def metric_levels(time_signature: str) -> np.ndarray:
    """Metric level of each step of a bar: 0 downbeat, 1 beat (pulse), 2 eighth, 3 16th."""
    return np.array(_levels(time_signature), dtype=np.int64)


def chord_slots(time_signature: str) -> int:
    """Chords per bar: two in long duple bars (4/4, 2/2, 6/8, 12/8, 6/4, 4/2), else one."""
    n, d = parse_time_signature(time_signature)
    return 2 if (n in (4, 6, 12) and d in (4, 8, 2)) or (n, d) == (2, 2) else 1


# --- styles --------------------------------------------------------------------------------
#: The corpora styles the harmony, melody and bass models are conditioned on.
STYLES = ("chorale", "folk")
#: Which corpus style stands in for each genre: the corpora hold no pop or jazz harmony, so
#: genres with functional, seventh-rich harmony use the chorales and the others the folk tunes.
GENRE_STYLE = {
    "jazz": "chorale", "lo-fi": "chorale", "rnb": "chorale", "funk": "chorale",
    "cinematic": "chorale", "ambient": "chorale",
}


def style_id(genre: str) -> int:
    """Corpus style index standing in for a genre (see ``GENRE_STYLE``).

    >>> STYLES[style_id("Jazz")], STYLES[style_id("rock")]
    ('chorale', 'folk')
    """
    return STYLES.index(GENRE_STYLE.get(model_genre(genre), "folk"))
