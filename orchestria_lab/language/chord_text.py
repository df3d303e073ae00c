"""Chords written in a command ("play Am F C G", "ii V I, two bars each"), found before tagging.

A run of chord symbols or Roman numerals is a progression, not a key change: :func:`find`
takes it out of the text, with how long each chord lasts, and leaves a placeholder token
(``^0``) where it stood, as :mod:`~orchestria_lab.language.scopes` does for time. What counts as
a run is declared below (the context words, the separators, the phrases for chord length), so
a new way of saying it is a line of data.

A symbol starts with a capital (``A`` is a chord, ``a`` the article); a run of two or more, a
slash chord, or one chord after a word like "chords" is a progression. Lower-case names count
after such a word ("chords am f c g"). A chord-like part that does not parse, in a run or after
"play"/"chords", is an error naming it: a wrong chord is never guessed at.

>>> text, found = find("play Am F C G, two bars each")
>>> text, found[0].chords, found[0].bars_each
('play ^0', ('Am', 'F', 'C', 'G'), 2.0)
>>> find("change the chords to ii V I")[1][0].chords
('ii', 'V', 'I')
>>> find("set the key to C and add a piano")[1]
[]
>>> find("chords Am Fzz C G")
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: chord='Fzz' is not valid: expected a chord symbol such as Am, F, Cmaj7, Dm7, G7, Bdim, Fsus4 or F/A, or a Roman numeral such as ii, V7, IV, vi, bVII.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestria_lab.language.lexicon import NUMBER_WORDS
from orchestria_lab.music.chords import is_roman, is_symbol, parse_chord

#: Words after which chords are expected (one chord, or lower-case names, count there).
CONTEXT = ("chord", "chords", "progression", "changes", "play", "playing", "plays", "progressions")
#: Words after which a chord-like part that does not parse is an error, not a word.
STRICT = ("chord", "chords", "progression", "changes", "play")
#: What may stand between the chords of a run.
_SEPARATOR = re.compile(r"^[\s,|>\-–—→]*$")
#: A part that looks like it means a chord: a capital and a few letters, digits or marks.
_CHORD_LIKE = re.compile(r"^[A-Z][A-Za-z0-9#°ø+Δ()/]{0,7}$")
#: ... and one that can only have been meant as one (a note letter and a short suffix, or a digit).
_MEANT = re.compile(r"^(?:[A-H][A-Za-z#°ø+Δ()/]{0,4}|[A-Z].*[0-9#].*|[b#]?[IVXivx]{1,5}[°øo+7]*)$")
_PART = re.compile(r"[A-Za-z0-9#°øΔ+()/]+")
#: ... or before them ("one chord per bar: Em C G D", "two bars each: Am F").
_LENGTH_BEFORE = re.compile(
    r"(?P<n>\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    + r"|half a|a)\s+(?P<unit>bars?|beats?|measures?|chords?)\s+(?P<rel>each|per chord|a chord|apiece|per bar|a bar|"
    r"every bar|per|on each)\s*[:,-]?\s*$", re.IGNORECASE)
#: How long each chord lasts, said after the chords ("two bars each", "2 chords per bar").
_LENGTH = re.compile(
    r"^[\s,]*(?:(?:with|at|for)\s+)?(?P<n>\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    + r"|half a|a)\s+(?P<unit>bars?|beats?|measures?|chords?)\s+(?P<rel>each|per chord|a chord|apiece|per bar|a bar|"
    r"every bar|for each(?: chord)?|per|on each)\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class Progression:
    """Chords as written, and how many bars each lasts (1 unless the command says)."""

    chords: tuple[str, ...]
    bars_each: float = 1.0
    text: str = ""


def find(text: str, *, beats_per_bar: float = 4.0) -> tuple[str, list[Progression]]:
    """``text`` with each run of chords replaced by ``^k``, and the progressions found. A caret
    the user typed is a space, so no text can pose as a progression that was never found."""
    text = text.replace("^", " ")
    parts = [(m.start(), m.end(), m.group(0)) for m in _PART.finditer(text)]
    out: list[Progression] = []
    pieces: list[str] = []
    at, i = 0, 0
    while i < len(parts):
        run = _run(text, parts, i)
        if not run:
            i += 1
            continue
        j = i + len(run)
        start, end = parts[i][0], parts[j - 1][1]
        each, end = _length(text, end, beats_per_bar)
        if (before := _LENGTH_BEFORE.search(text[at:start])) and end == parts[j - 1][1]:
            each, start = _each(before, beats_per_bar), at + before.start()
        pieces += [text[at:start], f"^{len(out)}"]
        out.append(Progression(tuple(run), each, text[start:end]))
        at, i = end, j
        while i < len(parts) and parts[i][0] < end:
            i += 1
    pieces.append(text[at:])
    return "".join(pieces), out


def _run(text: str, parts: list[tuple[int, int, str]], i: int) -> list[str]:
    """The chords of a run starting at part ``i`` ([] when none starts there)."""
    before = parts[i - 1][2].lower() if i else ""
    context = before in CONTEXT
    run: list[str] = []
    j = i
    while j < len(parts):
        if j > i and not _SEPARATOR.match(text[parts[j - 1][1]:parts[j][0]]):
            break
        word = parts[j][2]
        chord = _chord(word, lower_ok=context)
        if chord is None:
            if (context and before in STRICT or run) and _CHORD_LIKE.match(word) and _looks_meant(word, run, parts, j):
                parse_chord(word, key="C")  # raises, naming the part
            break
        run.append(chord)
        j += 1
    return run if len(run) >= 2 or (run and (context or "/" in run[0])) else []


def _chord(word: str, *, lower_ok: bool) -> str | None:
    """``word`` as a chord symbol or numeral, or None (lower-case names only where chords are expected)."""
    if is_symbol(word) or is_roman(word):
        return word
    if lower_ok and word[:1].islower() and is_symbol(word[:1].upper() + word[1:]) and word not in ("a", "an"):
        return word[:1].upper() + word[1:]
    return None


def _looks_meant(word: str, run: list[str], parts: list[tuple[int, int, str]], j: int) -> bool:
    """Whether a capitalised part that is no chord was meant as one: a note letter with a short
    suffix, or a digit or sharp, in a run of chords or where chords were asked for, or followed by
    another part of that shape ("play H7 Xm")."""
    if _MEANT.match(word) is None:
        return False
    if run or any(ch.isdigit() for ch in word) or "#" in word:
        return True
    nxt = parts[j + 1][2] if j + 1 < len(parts) else ""
    return _MEANT.match(nxt) is not None


def _length(text: str, end: int, beats_per_bar: float) -> tuple[float, int]:
    """Bars per chord said right after the run ("two bars each", "2 chords per bar"), and where it ends."""
    m = _LENGTH.match(text[end:])
    if not m:
        return 1.0, end
    return _each(m, beats_per_bar), end + m.end()


def _each(m: re.Match, beats_per_bar: float) -> float:
    """Bars per chord from a length phrase's number and unit."""
    word = m.group("n").lower()
    n = 0.5 if word == "half a" else 1.0 if word == "a" else float(NUMBER_WORDS[word] if word in NUMBER_WORDS else word)
    unit = m.group("unit").lower()
    if unit.startswith("chord"):  # "two chords per bar"
        return 1.0 / n if n else 1.0
    if unit.startswith("beat"):
        return n / beats_per_bar
    return n


__all__ = ["CONTEXT", "Progression", "find"]
