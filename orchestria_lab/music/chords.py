"""Chords as written: symbols ("Am", "Cmaj7", "F/A") and Roman numerals in a key ("ii V I").

A producer who writes chords means them exactly. :func:`parse_symbol` reads a lead-sheet
symbol, :func:`parse_roman` a numeral against the session's key, and :func:`parse_chords`
a whole progression, saying which part it could not read. The qualities are one table,
:data:`QUALITY_SPELLINGS` (every way of writing one quality), so adding a spelling is a line.

>>> [parse_symbol(s).symbol for s in ("Am", "Cmaj7", "Dm7", "G7", "F/A", "Bbsus4")]
['Am', 'Cmaj7', 'Dm7', 'G7', 'F/A', 'Bbsus4']
>>> parse_symbol("F/A").pitch_classes, parse_symbol("F/A").bass
((5, 9, 0), 9)
>>> [parse_roman(r, key="C").symbol for r in ("ii7", "V7", "Imaj7")]
['Dm7', 'G7', 'Cmaj7']
>>> [parse_roman(r, key="Cm").symbol for r in ("i", "VI", "III", "VII", "V", "vii°")]
['Cm', 'Ab', 'Eb', 'Bb', 'G', 'Bdim']
>>> parse_chords(["Am", "Fzz", "C"], key="C")
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: chord='Fzz' is not valid: expected a chord symbol such as Am, F, Cmaj7, Dm7, G7, Bdim, Fsus4 or F/A, or a Roman numeral such as ii, V7, IV, vi, bVII.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.theory import CHORD_QUALITIES, Chord, Key, parse_key, pitch_class

#: Every spelling of each quality in :data:`~orchestria_lab.music.theory.CHORD_QUALITIES`
#: (the canonical name first is implied). Case matters: ``M7`` is major, ``m7`` minor.
QUALITY_SPELLINGS: dict[str, tuple[str, ...]] = {
    "": ("maj", "M", "major"),
    "m": ("min", "-", "minor", "mi"),
    "dim": ("°", "o"),
    "aug": ("+", "#5"),
    "maj7": ("M7", "Δ", "Δ7", "ma7", "j7"),
    "m7": ("min7", "-7", "mi7"),
    "7": ("dom7",),
    "m7b5": ("ø", "ø7", "min7b5", "-7b5"),
    "dim7": ("°7", "o7"),
    "mMaj7": ("mM7", "m(maj7)", "minmaj7", "-maj7"),
    "maj9": ("M9", "Δ9"),
    "m9": ("min9", "-9"),
    "9": (),
    "add9": ("add2", "2"),
    "madd9": ("m(add9)", "madd2"),
    "5": (),
    "sus2": (),
    "sus4": ("sus",),
    "7sus4": ("7sus",),
    "6": (),
    "m6": ("min6",),
}

_SPELLED: dict[str, str] = {alias: name for name, aliases in QUALITY_SPELLINGS.items() for alias in (name, *aliases)}
_QUALITY_RE = "|".join(sorted((re.escape(s) for s in _SPELLED), key=len, reverse=True))
#: One chord symbol: a root, a quality, an optional bass note ("F/A").
SYMBOL = re.compile(rf"^([A-G])([#b]?)({_QUALITY_RE})(?:/([A-G])([#b]?))?$")
#: One Roman numeral: an optional accidental, the numeral (case is the triad), a quality mark, a seventh.
ROMAN = re.compile(r"^([b#]?)(VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)(°|o|ø|\+)?(maj7|M7|7)?$")
_NUMERALS = ("i", "ii", "iii", "iv", "v", "vi", "vii")
_EXPECTED = ("a chord symbol such as Am, F, Cmaj7, Dm7, G7, Bdim, Fsus4 or F/A, or a Roman numeral such as "
             "ii, V7, IV, vi, bVII")


def is_symbol(text: str) -> bool:
    """Whether ``text`` reads as a chord symbol.

    >>> is_symbol("Cmaj7"), is_symbol("F/A"), is_symbol("H7"), is_symbol("Fzz")
    (True, True, False, False)
    """
    return SYMBOL.match(text) is not None


def is_roman(text: str) -> bool:
    """Whether ``text`` reads as a Roman numeral.

    >>> is_roman("ii"), is_roman("bVII"), is_roman("V7"), is_roman("vx")
    (True, True, True, False)
    """
    return ROMAN.match(text) is not None


def parse_symbol(text: str) -> Chord:
    """The chord a lead-sheet symbol names (``Am``, ``Cmaj7``, ``F/A``); spelled as written."""
    m = SYMBOL.match(text.strip())
    if m is None:
        raise InvalidValue("chord", text, _EXPECTED)
    root = pitch_class(m.group(1) + m.group(2))
    intervals = CHORD_QUALITIES[_SPELLED[m.group(3)]]
    bass = pitch_class(m.group(4) + m.group(5)) if m.group(4) else None
    return Chord(root, intervals, flats="#" not in m.group(2) + (m.group(5) or ""), bass=bass, written=True)


def parse_roman(text: str, *, key: str | Key) -> Chord:
    """The chord a Roman numeral names in ``key``: upper case a major triad, lower case minor,
    ``°`` diminished (``°7`` fully diminished), ``ø`` half-diminished, ``+`` augmented; ``7`` adds
    the diatonic seventh (minor over a minor triad), ``maj7`` a major seventh. In a minor key, VI and VII are the natural degrees (Ab, Bb in C minor)
    and vi, vii the raised ones, as in music21; ``b``/``#`` alter the root from the major scale."""
    m = ROMAN.match(text.strip())
    if m is None:
        raise InvalidValue("chord", text, _EXPECTED)
    k = parse_key(key) if isinstance(key, str) else key
    accidental, numeral, mark, seventh = m.group(1), m.group(2), m.group(3) or "", m.group(4) or ""
    degree = _NUMERALS.index(numeral.lower()) + 1
    upper = numeral.isupper()
    if accidental:  # "bVII": the major scale's degree, lowered
        root = (k.tonic_pc + (0, 2, 4, 5, 7, 9, 11)[degree - 1] + (-1 if accidental == "b" else 1)) % 12
    else:
        root = k.degree_pc(degree)
        if k.is_minor and degree in (6, 7) and not upper and k.mode in ("minor", "harmonic minor"):
            root = (k.tonic_pc + (0, 2, 3, 5, 7, 9, 11)[degree - 1]) % 12  # vi, vii in minor: raised
    third = 4 if upper else 3
    fifth = {"°": 6, "o": 6, "ø": 6, "+": 8}.get(mark, 7)
    if mark in ("°", "o", "ø"):
        third = 3
    intervals: tuple[int, ...] = (0, third, fifth)
    if seventh in ("maj7", "M7"):
        intervals += (11,)
    elif seventh and mark in ("°", "o"):
        intervals += (9,)  # vii°7: fully diminished
    elif seventh and mark == "ø":
        intervals += (10,)
    elif seventh:  # the key's own seventh above the root's degree (V7 in C: F; I7 in C: B)
        interval = (k.scale[(degree - 1 + 6) % 7] - root) % 12
        intervals += (10 if third == 3 and interval == 11 else interval,)  # a minor triad takes a minor 7th
    flats = k.flats or accidental == "b"
    return Chord(root, intervals, flats=flats, written=True)


def parse_chord(text: str, *, key: str | Key) -> Chord:
    """A chord symbol or, failing that, a Roman numeral in ``key``."""
    if is_symbol(text):
        return parse_symbol(text)
    if is_roman(text):
        return parse_roman(text, key=key)
    raise InvalidValue("chord", text, _EXPECTED)


def parse_chords(texts: Iterable[str], *, key: str | Key) -> list[Chord]:
    """A whole progression; the first part that is not a chord is named in the error."""
    return [parse_chord(t, key=key) for t in texts]


__all__ = ["QUALITY_SPELLINGS", "ROMAN", "SYMBOL", "is_roman", "is_symbol", "parse_chord", "parse_chords",
           "parse_roman", "parse_symbol"]
