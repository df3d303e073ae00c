"""From raw text to tagged tokens: numbers with units, keys, meters, intervals, lexicon phrases.

>>> [(t.kind, t.value) for t in tag("turn the 808 up 3dB")]
[('verb', 'turn'), ('det', 'def'), ('instrument', 'sub_bass'), ('dir', 'up'), ('number', (3.0, 'db'))]
>>> [(t.kind, t.value) for t in tag("set it in F# minor at 128 bpm")][2:]
[('prep', 'on'), ('key', 'F#m'), ('prep', 'on'), ('number', (128.0, 'bpm'))]
>>> [(t.kind, t.value) for t in tag("up a fifth, in 6/8")]
[('dir', 'up'), ('det', 'indef'), ('interval', 7), ('sep', 'and'), ('prep', 'on'), ('timesig', '6/8')]
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from orchestria_lab.errors import InvalidValue
from orchestria_lab.language.kinds import Kind
from orchestria_lab.language.lexicon import (
    ADJ_SIGN,
    INTERVALS,
    LEXICON,
    MAX_PHRASE,
    NOTE_VALUES,
    NUMBER_WORDS,
    STYLE_DRUMS,
    UNITS,
)
from orchestria_lab.music.theory import parse_key, parse_time_signature

MAX_TEXT = 2000
_WORD_RE = re.compile(r"@\d+|\^\d+|\d+(?:\.\d+)?/\d+[dt]?|[+-]?\d+(?:\.\d+)?(?:[a-z%]+)?|[a-z][a-z0-9#'&-]*|[#%,;.&]")
_NUM_RE = re.compile(r"^([+-]?\d+(?:\.\d+)?)([a-z%]*)$")
_KEY_TOKEN = re.compile(r"^([a-g])(#|b|♯|♭)?(m|min|maj)?$")
_KEY_CONTEXT = {"key", "in", "to", "into", "of", "from"}
_MORE = ("more", "extra", "additional")
_TIME_UNITS = ("min", "s")
_MODE_WORDS = {"major", "minor", "maj", "min", "dorian", "phrygian", "lydian", "mixolydian", "mixo",
               "locrian", "aeolian", "ionian"}


@dataclass(frozen=True)
class Token:
    """One tagged token: its kind (verb, role, number ...), value, the words and where."""

    kind: Kind
    value: Any
    text: str
    pos: int
    sign: int = 1           # adjectives: -1 for words meaning less of it ("thin" = less deep)
    extra: str = ""         # styles: the part style the word implies (boom bap -> boom_bap)
    upper: bool = False     # the word was written with a capital (keys: "A" vs "a")

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Kind(self.kind))  # an unknown kind fails here, loudly


def normalize(text: str) -> str:
    """Lower-case, plain ASCII-ish text with the studio's shorthand expanded."""
    text = unicodedata.normalize("NFKC", text)[:MAX_TEXT]
    text = text.replace("’", "'").replace("‘", "'").replace("♯", "#").replace("♭", "b")
    text = re.sub(r"\bw/\s*", "with ", text)
    text = re.sub(r"(\w)'s\b", r"\1", text)
    text = re.sub(r"(\ws)'(?=\s|[,.!?]|$)", r"\1", text)  # "the drums' low end"
    return text


def _words(text: str) -> list[tuple[str, bool]]:
    """Words with whether each was capitalised (single letters matter for keys)."""
    out = []
    for m in re.finditer(r"\S+", normalize(text)):
        chunk = m.group(0)
        lower = chunk.lower()
        at = 0
        for w in _WORD_RE.findall(lower):
            start = lower.find(w, at)
            at = start + len(w)
            upper = chunk[start:start + 1].isupper()
            if "-" in w[1:] and (w,) not in LEXICON and not _NUM_RE.match(w) and not w.rsplit("-", 1)[1].isdigit():
                out += [(part, upper and k == 0) for k, part in enumerate(w.split("-")) if part]
            else:
                out.append((w, upper))
    return out


@lru_cache(maxsize=1024)
def tag(text: str) -> tuple[Token, ...]:
    """The tagged tokens of ``text`` (never raises; unknown words come back as ``word``)."""
    words = _words(text)
    tokens: list[Token] = []
    i = 0
    while i < len(words):
        tok, used = _phrase(words, i, exact_only=True)
        if tok is None:
            tok, used = _special(words, i, tokens)
        if tok is None:
            tok, used = _phrase(words, i)
        tokens.append(Token(tok.kind, tok.value, tok.text, len(tokens), tok.sign, tok.extra, words[i][1]))
        i += used
    return tuple(tokens)


def _special(words: list[tuple[str, bool]], i: int, done: list[Token]) -> tuple[Token | None, int]:
    """Numbers (with units), versions, keys, time signatures, intervals and note values."""
    w = words[i][0]
    nxt = words[i + 1][0] if i + 1 < len(words) else ""
    prev = done[-1] if done else None
    m = re.fullmatch(r"v(\d+)", w)
    if m:
        return Token("version", int(m.group(1)), w, 0), 1
    m = re.fullmatch(r"@(\d+)", w)
    if m:  # a time scope found before tagging (language/scopes.py): its index
        return Token("scope", int(m.group(1)), w, 0), 1
    m = re.fullmatch(r"\^(\d+)", w)
    if m:  # chords written out, found before tagging (language/chord_text.py): their index
        return Token("progression", int(m.group(1)), w, 0), 1
    if re.fullmatch(r"\d+/\d+[dt]?", w):
        clause = done[max([0] + [k + 1 for k, t in enumerate(done) if t.kind == "sep"]):]
        timing = any(t.kind == "fxparam" and t.value == "time" or t.kind == "effect" and t.value == "delay" for t in clause)
        if w in NOTE_VALUES and (not _is_meter(w) or timing or nxt in ("note", "notes", "delay", "echo")):
            return Token("notevalue", NOTE_VALUES[w], w, 0), 1 + (nxt in ("note", "notes"))
        if _is_meter(w):
            return Token("timesig", w, w, 0), 1 + (nxt == "time")
        return Token("word", w, w, 0), 1
    number, used = _number(words, i)
    if number is not None:
        value, unit = number
        j = i + used
        spelled = words[i][0] in NUMBER_WORDS and j < len(words) and NUMBER_WORDS.get(words[j][0]) in (2, 4, 8, 16)
        if spelled and used == 1 and _is_meter(f"{int(value)}/{int(NUMBER_WORDS[words[j][0]])}"):
            meter = f"{int(value)}/{int(NUMBER_WORDS[words[j][0]])}"  # "seven eight"
            return Token("timesig", meter, f"{words[i][0]} {words[j][0]}", 0), 2 + (j + 1 < len(words) and words[j + 1][0] == "time")
        if not unit and j + 1 < len(words) and words[j][0] in _MORE and UNITS.get(words[j + 1][0]):
            j += 1  # "4 more bars", "two extra beats": the unit after the "more"
        if not unit and j < len(words):
            unit = UNITS.get(words[j][0], "")
            if unit:
                j += 1
                if unit in _TIME_UNITS and [x for x, _ in words[j:j + 3]] == ["and", "a", "half"]:
                    value, j = value + 0.5, j + 3  # "a minute and a half"
            elif words[j][0] == "half" and j + 1 < len(words) and words[j + 1][0] in ("step", "steps"):
                unit, j = "st", j + 2
            elif (words[j][0],) in INTERVALS and words[j][0] not in ("step", "tone"):
                return Token("interval", int(value * INTERVALS[(words[j][0],)]), " ".join(x for x, _ in words[i:j + 1]), 0), j + 1 - i
            elif words[j][0] in ("whole",) and j + 1 < len(words) and words[j + 1][0] in ("step", "steps", "tone", "tones"):
                return Token("interval", int(value * 2), " ".join(x for x, _ in words[i:j + 2]), 0), j + 2 - i
        if unit == "khz":
            value, unit = value * 1000, "hz"
        return Token("number", (value, unit), " ".join(x for x, _ in words[i:j]), 0), j - i
    for n in (2, 1):
        key = tuple(x for x, _ in words[i:i + n])
        if len(key) == n and key in INTERVALS and not (key == ("step",) and prev and prev.kind == "number"):
            if key in (("tone",),) and not (prev and prev.kind in ("det", "dir")):
                break
            return Token("interval", INTERVALS[key], " ".join(key), 0), n
    key, used = _key(words, i, prev)
    if key is not None:
        return key, used
    return None, 0


def _is_meter(w: str) -> bool:
    try:
        parse_time_signature(w)
    except InvalidValue:
        return False
    return True


def _number(words: list[tuple[str, bool]], i: int) -> tuple[tuple[float, str] | None, int]:
    w = words[i][0]
    m = _NUM_RE.match(w)
    if m:
        unit = m.group(2)
        if unit and unit not in UNITS:
            return None, 0
        return (float(m.group(1)), UNITS.get(unit, "")), 1
    nxt = words[i + 1][0] if i + 1 < len(words) else ""
    if w in ("a", "an", "half") and UNITS.get(nxt) in _TIME_UNITS:  # "about a minute", "half a minute"
        return (0.5 if w == "half" else 1.0, ""), 1
    if w == "half" and nxt == "a" and i + 2 < len(words) and UNITS.get(words[i + 2][0]) in _TIME_UNITS:
        return (0.5, ""), 2
    if w not in NUMBER_WORDS and not (w == "a" and nxt == "hundred"):
        return None, 0
    total, j = 0.0, i
    if w == "a":
        j += 1
    current = 0.0
    while j < len(words) and (words[j][0] in NUMBER_WORDS or (words[j][0] == "and" and current >= 100)):
        word = words[j][0]
        if word == "and":
            j += 1
            continue
        value = NUMBER_WORDS[word]
        if value == 100:
            current = max(current, 1) * 100
        elif current and current % 100 == 0 and value < 100:
            current += value
        elif current and current < 10 and value >= 10 and current * 100 + value < 300:  # "one twenty"
            current = current * 100 + value
        elif current >= 20 and current % 10 == 0 and value < 10:
            current += value
        elif current:
            break
        else:
            current = value
        j += 1
    total = current
    if [x for x, _ in words[j:j + 3]] == ["and", "a", "half"]:  # "two and a half minutes"
        total, j = total + 0.5, j + 3
    if w in ("couple", "few", "pair") and j < len(words) and words[j][0] == "of":
        j += 1
    return (total, ""), j - i


def _key(words: list[tuple[str, bool]], i: int, prev: Token | None) -> tuple[Token | None, int]:
    """A key such as "F# minor", "Eb", "c#m", "A" (capitalised, or after "key"/"in"/"to")."""
    w, upper = words[i]
    m = _KEY_TOKEN.match(w)
    if not m:
        return None, 0
    j = i + 1
    letter, acc, suffix = m.group(1), m.group(2) or "", m.group(3) or ""
    if not acc and j < len(words) and words[j][0] in ("sharp", "flat"):
        acc, j = ("#" if words[j][0] == "sharp" else "b"), j + 1
    mode = ""
    if j < len(words) and words[j][0] in _MODE_WORDS:
        if j + 1 < len(words) and (words[j + 1][0],) in INTERVALS and w == "a":
            return None, 0  # "up a minor third": an interval, not A minor
        mode, j = words[j][0], j + 1
        if mode == "harmonic" and j < len(words) and words[j][0] == "minor":
            mode, j = "harmonic minor", j + 1
    in_context = prev is not None and (prev.text in _KEY_CONTEXT or (prev.kind == "meta" and prev.value == "key"))
    explicit = bool(mode or suffix or acc)
    if w == "a" and not (mode or upper):
        return None, 0  # the article
    if w == "b" and not (mode or upper or in_context):
        return None, 0
    if not explicit and not in_context and not upper:
        return None, 0
    if not explicit and not in_context and upper and w in ("a",):
        return None, 0
    text = f"{letter.upper()}{acc} {mode or suffix}".strip()
    try:
        name = parse_key(text).name
    except InvalidValue:
        return None, 0
    return Token("key", name, " ".join(x for x, _ in words[i:j]), 0), j - i


def _phrase(words: list[tuple[str, bool]], i: int, *, exact_only: bool = False) -> tuple[Token | None, int]:
    """The longest lexicon phrase at ``i``; with ``exact_only``, only phrases that must win over
    a number or key reading (two words or more, or a word like "808")."""
    for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
        key = tuple(x for x, _ in words[i:i + n])
        hit = LEXICON.get(key)
        if hit and exact_only and n == 1 and not key[0][0].isdigit():
            break
        if hit and exact_only and (hit[0] in ("filler", "det", "prep") or (hit[0] == "dir" and n < 3)):
            continue  # short function phrases wait for numbers and keys; "back in the mix" does not
        if hit:
            return Token(hit[0], hit[1], " ".join(key), 0, ADJ_SIGN.get(key, 1), STYLE_DRUMS.get(key, "")), n
    if exact_only:
        return None, 0
    w = words[i][0]
    for variant in _variants(w):
        hit = LEXICON.get((variant,))
        if hit:
            return Token(hit[0], hit[1], w, 0, ADJ_SIGN.get((variant,), 1), STYLE_DRUMS.get((variant,), "")), 1
    return Token("word", w, w, 0), 1


@lru_cache(maxsize=4096)
def _variants(w: str) -> tuple[str, ...]:
    """Plurals, comparatives and near-misspellings of a word the lexicon does not list."""
    out = []
    if w.endswith("s") and len(w) > 3:
        out.append(w[:-1])
    if w.endswith("ier"):
        out.append(w[:-3] + "y")
    if w.endswith("er") and len(w) > 4:
        out += [w[:-2], w[:-1]]
    if len(w) >= 5 and w.isalpha():
        out += difflib.get_close_matches(w, _single_words(), n=1, cutoff=0.84)
    if len(w) >= 4 and w.isalpha():  # two letters swapped: "dealy", "remvoe"
        known = set(_single_words())
        out += [s for s in (w[:i] + w[i + 1] + w[i] + w[i + 2:] for i in range(len(w) - 1)) if s in known][:1]
    return tuple(out)


@lru_cache(maxsize=1)
def _single_words() -> list[str]:
    return [k[0] for k, (kind, _) in LEXICON.items() if len(k) == 1 and len(k[0]) >= 4 and kind in _FUZZY_KINDS]


#: Misspellings are only read as content words: "reverbb" is reverb, but "reset" is not "rest".
_FUZZY_KINDS = ("role", "instrument", "effect", "adj", "verb", "style", "voice", "family", "fxparam")
