"""Keys, scales and chords: the music theory every agent shares. No audio, no torch.

>>> k = parse_key("E flat major")
>>> k.name, k.tonic_pc, k.mode
('Eb', 3, 'major')
>>> parse_key("g minor").name
'Gm'
>>> [pitch_name(p) for p in parse_key("Cm").scale_pitches(60)]
['C4', 'D4', 'Eb4', 'F4', 'G4', 'Ab4', 'Bb4']
>>> parse_key("Cm").chord(2, seventh=True).symbol   # ii7 in C minor is half-diminished
'Dm7b5'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from orchestria_lab.errors import InvalidValue

SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

#: Intervals (semitones above the tonic) of each mode.
MODES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "harmonic minor": (0, 2, 3, 5, 7, 8, 11),
}
_MODE_ALIASES = {
    "": "major", "maj": "major", "major": "major", "ionian": "major", "M": "major",
    "m": "minor", "min": "minor", "minor": "minor", "aeolian": "minor", "-": "minor",
    "dorian": "dorian", "phrygian": "phrygian", "lydian": "lydian",
    "mixolydian": "mixolydian", "mixo": "mixolydian", "locrian": "locrian",
    "harmonic minor": "harmonic minor", "harmonic": "harmonic minor",
}
#: Modes whose third is minor: their chord on the tonic is minor.
MINOR_MODES = frozenset({"minor", "dorian", "phrygian", "locrian", "harmonic minor"})
_FLAT_MAJOR_TONICS = {0, 5, 10, 3, 8, 1}  # C F Bb Eb Ab Db: keys spelled with flats (C neutral)

_KEY_RE = re.compile(
    r"^\s*(?P<letter>[a-gA-G])\s*(?P<acc>#|♯|b|♭|-?\s*sharp|-?\s*flat)?\s*"
    r"(?P<mode>[a-zA-Z -]*?)\s*$"
)


def pitch_class(name: str) -> int:
    """Pitch class 0-11 of a note name such as ``"F#"``, ``"Bb"`` or ``"e flat"``.

    >>> pitch_class("F#"), pitch_class("Bb"), pitch_class("e flat")
    (6, 10, 3)
    """
    m = re.fullmatch(r"\s*([a-gA-G])\s*(#|♯|b|♭|-?\s*sharp|-?\s*flat)?\s*", name)
    if not m:
        raise InvalidValue("note", name, "a note name such as C, F#, Bb or 'E flat'")
    return (_LETTER_PC[m.group(1).upper()] + _accidental(m.group(2))) % 12


def _accidental(acc: str | None) -> int:
    if not acc:
        return 0
    return 1 if acc.strip(" -") in ("#", "♯", "sharp") else -1


def pitch_name(pitch: int, *, flats: bool = True) -> str:
    """Scientific name of a MIDI pitch (middle C, 60, is ``C4``).

    >>> pitch_name(60), pitch_name(61), pitch_name(61, flats=False), pitch_name(21)
    ('C4', 'Db4', 'C#4', 'A0')
    """
    names = FLAT_NAMES if flats else SHARP_NAMES
    return f"{names[pitch % 12]}{pitch // 12 - 1}"


@dataclass(frozen=True)
class Chord:
    """A chord as a root pitch class and intervals above it.

    >>> Chord(9, (0, 3, 7, 10)).symbol, Chord(9, (0, 3, 7, 10)).pitch_classes
    ('Am7', (9, 0, 4, 7))
    """

    root: int
    intervals: tuple[int, ...]
    flats: bool = True
    #: A bass note other than the root ("F/A": 9), or None.
    bass: int | None = None
    #: Written by the user (music/chords.py): voiced with every tone it names.
    written: bool = False

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        """The chord's pitch classes, root first (a slash chord's bass last, when it is not one of them)."""
        pcs = tuple((self.root + i) % 12 for i in self.intervals)
        return pcs + ((self.bass,) if self.bass is not None and self.bass not in pcs else ())

    @property
    def quality(self) -> str:
        return _QUALITY_NAMES.get(self.intervals, "")

    @property
    def symbol(self) -> str:
        names = FLAT_NAMES if self.flats else SHARP_NAMES
        return names[self.root] + self.quality + (f"/{names[self.bass]}" if self.bass is not None else "")

    def pitches(self, *, around: int = 60) -> list[int]:
        """Close-position voicing with the root as near ``around`` as the octave allows."""
        base = around - ((around - self.root) % 12)
        if around - base > 6:
            base += 12
        return [base + i for i in self.intervals]


#: Chord qualities: the suffix of a chord symbol, and the intervals above the root it names
#: (music/chords.py reads the other spellings of each).
CHORD_QUALITIES: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7), "m": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8),
    "maj7": (0, 4, 7, 11), "m7": (0, 3, 7, 10), "7": (0, 4, 7, 10), "m7b5": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9), "mMaj7": (0, 3, 7, 11), "maj7#5": (0, 4, 8, 11),
    "maj9": (0, 4, 7, 11, 14), "m9": (0, 3, 7, 10, 14), "9": (0, 4, 7, 10, 14),
    "add9": (0, 4, 7, 14), "madd9": (0, 3, 7, 14), "5": (0, 7), "sus2": (0, 2, 7), "sus4": (0, 5, 7),
    "7sus4": (0, 5, 7, 10), "6": (0, 4, 7, 9), "m6": (0, 3, 7, 9),
}
_QUALITY_NAMES = {intervals: name for name, intervals in CHORD_QUALITIES.items()}


@dataclass(frozen=True)
class Key:
    """A tonic and a mode. ``name`` is the canonical string: ``"C"``, ``"F#m"``, ``"D dorian"``."""

    tonic_pc: int
    mode: str = "major"
    spelled: str | None = None

    @property
    def tonic(self) -> str:
        return self.spelled or (FLAT_NAMES if self.flats else SHARP_NAMES)[self.tonic_pc]

    @property
    def name(self) -> str:
        if self.mode == "major":
            return self.tonic
        if self.mode == "minor":
            return self.tonic + "m"
        return f"{self.tonic} {self.mode}"

    @property
    def is_minor(self) -> bool:
        return self.mode in MINOR_MODES

    @property
    def flats(self) -> bool:
        """Whether the key is spelled with flats (its relative major is a flat key)."""
        if self.spelled and len(self.spelled) > 1:  # an accidental in the name decides
            return self.spelled.endswith("b")
        relative_major = (self.tonic_pc - _relative_major_offset(self.mode)) % 12
        return relative_major in _FLAT_MAJOR_TONICS

    @property
    def scale(self) -> tuple[int, ...]:
        """Pitch classes of the scale, tonic first."""
        return tuple((self.tonic_pc + i) % 12 for i in MODES[self.mode])

    def contains(self, pitch: int) -> bool:
        """Whether a MIDI pitch belongs to the scale."""
        return pitch % 12 in self.scale

    def scale_pitches(self, low: int, high: int | None = None) -> list[int]:
        """MIDI pitches of the scale from ``low`` up to ``high`` (default: one octave)."""
        high = low + 11 if high is None else high
        pcs = set(self.scale)
        return [p for p in range(low, high + 1) if p % 12 in pcs]

    def degree_pc(self, degree: int) -> int:
        """Pitch class of scale degree ``degree`` (1-based; 8 wraps to 1)."""
        return self.scale[(degree - 1) % 7]

    def chord(self, degree: int, *, seventh: bool = False, ninth: bool = False) -> Chord:
        """Diatonic chord built in thirds on a scale degree (1-based)."""
        steps = [0, 2, 4] + ([6] if seventh or ninth else []) + ([8] if ninth else [])
        root_index = (degree - 1) % 7
        root = self.scale[root_index]
        intervals = tuple(
            (self.scale[(root_index + s) % 7] - root) % 12 + (12 if s >= 7 else 0) for s in steps
        )
        return Chord(root, intervals, self.flats)

    def transpose(self, semitones: int) -> Key:
        """The same mode on a tonic ``semitones`` higher (spelling re-derived)."""
        return Key((self.tonic_pc + semitones) % 12, self.mode)

    def __str__(self) -> str:
        return self.name


def _relative_major_offset(mode: str) -> int:
    return {"major": 0, "minor": 9, "dorian": 2, "phrygian": 4, "lydian": 5,
            "mixolydian": 7, "locrian": 11, "harmonic minor": 9}[mode]


@lru_cache(maxsize=512)
def parse_key(text: str) -> Key:
    """Parse a key such as ``C``, ``Cm``, ``F#m``, ``Bb``, ``E flat major``, ``g minor``, ``D dorian``.

    >>> parse_key("F#m").name, parse_key("bb").name, parse_key("A aeolian").name
    ('F#m', 'Bb', 'Am')
    >>> parse_key("H")
    Traceback (most recent call last):
    ...
    orchestria_lab.errors.InvalidValue: key='H' is not valid: expected a key such as C, Cm, F#m, Bb, 'E flat major', 'g minor' or 'D dorian'.
    """
    if not isinstance(text, str):
        raise InvalidValue("key", text, _KEY_EXPECTED)
    m = _KEY_RE.match(text)
    if not m:
        raise InvalidValue("key", text, _KEY_EXPECTED)
    letter, acc, mode_text = m.group("letter"), m.group("acc"), m.group("mode").strip()
    if letter == "b" and not acc and mode_text in ("b", "♭"):
        acc, mode_text = "b", ""
    mode_key = mode_text if mode_text in ("M", "m", "-") else mode_text.lower().strip(" -")
    if mode_key not in _MODE_ALIASES:
        raise InvalidValue("key", text, _KEY_EXPECTED)
    mode = _MODE_ALIASES[mode_key]
    shift = _accidental(acc)
    tonic_pc = (_LETTER_PC[letter.upper()] + shift) % 12
    spelled = letter.upper() + ("#" if shift == 1 else "b" if shift == -1 else "")
    return Key(tonic_pc, mode, spelled)


_KEY_EXPECTED = "a key such as C, Cm, F#m, Bb, 'E flat major', 'g minor' or 'D dorian'"


def same_key(a: str, b: str) -> bool:
    """Whether two key names denote the same key (enharmonic spellings are equal).

    >>> same_key("C#m", "Dbm"), same_key("C", "Am")
    (True, False)
    """
    ka, kb = parse_key(a), parse_key(b)
    return ka.tonic_pc == kb.tonic_pc and ka.mode == kb.mode


def parse_time_signature(text: str) -> tuple[int, int]:
    """``"3/4"`` -> ``(3, 4)``; numerators 1-32 over denominators 1, 2, 4, 8, 16, 32.

    >>> parse_time_signature("6/8")
    (6, 8)
    """
    m = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{1,2})\s*", str(text))
    if not m or not (1 <= int(m.group(1)) <= 32) or int(m.group(2)) not in (1, 2, 4, 8, 16, 32):
        raise InvalidValue(
            "time_signature", text, "n/d with n from 1 to 32 and d one of 1, 2, 4, 8, 16, 32 (e.g. 4/4, 3/4, 6/8)"
        )
    return int(m.group(1)), int(m.group(2))


def beats_per_bar(time_signature: str) -> float:
    """Length of a bar in quarter-note beats (``"6/8"`` is 3.0, ``"3/4"`` 3.0, ``"4/4"`` 4.0).

    >>> beats_per_bar("6/8"), beats_per_bar("7/8")
    (3.0, 3.5)
    """
    n, d = parse_time_signature(time_signature)
    return n * 4.0 / d
