"""Time scopes: where in the song a command applies ("in bars 5 to 8", "the last 4 bars", "the chorus").

A scope is found in the text before it is tagged, by the declared patterns of :data:`GRAMMAR`
(one line per way of saying it), and replaced by a placeholder token (``@0``, ``@1`` ...),
so its words and numbers are placed: "the last 4 bars" is a scope, never a length. What a
pattern finds is a :class:`TimeRef`, made absolute against the song when the plan is made
(:meth:`TimeRef.resolve`), so "the last 4 bars" of a 16-bar song is bars 13-16.

>>> text, refs = find("fade out the last 4 bars")
>>> text, refs[0].resolve(bars=16).describe()
('fade out @0', 'bars 13-16')
>>> [r.resolve(bars=16).describe() for r in find("new drums in bars 5-8 and 13-16")[1]]
['bars 5-8', 'bars 13-16']
>>> find("regenerate the melody from bar nine to the end")[1][0].resolve(bars=16).describe()
'bars 9-16'
>>> find("make the chorus bigger")[1][0].section, find("add chorus to the keys")[1]
('chorus', [])
>>> find("make bars 9 to 16 a chorus")[1][-1].defines
'chorus'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from orchestria_lab.errors import InvalidValue
from orchestria_lab.language.lexicon import NUMBER_WORDS
from orchestria_lab.music.form import Section, find_section
from orchestria_lab.music.scope import Scope

#: Section names a producer uses, and the spellings of each.
SECTIONS: dict[str, tuple[str, ...]] = {
    "intro": ("intro", "intros", "introduction"),
    "verse": ("verse", "verses"),
    "pre-chorus": ("pre-chorus", "prechorus", "pre chorus"),
    "chorus": ("chorus", "choruses", "refrain"),
    "bridge": ("bridge", "middle eight", "middle 8"),
    "breakdown": ("breakdown",),
    "drop": ("drop",),
    "outro": ("outro", "outros", "ending", "coda"),
}
#: Words after "the chorus" that make it the chorus *effect* ("the chorus on the pad").
_EFFECT_AFTER = ("on", "off", "from", "effect", "pedal", "mix", "amount", "depth", "rate", "plugin")
#: Sections that are also ordinary words: a section only after a time preposition or an ordinal.
_AMBIGUOUS = ("chorus", "drop", "ending")
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "last": -1, "final": -1}


@dataclass(frozen=True)
class TimeRef:
    """A scope as said: ``kind`` (range, first, last, half, from, before, until, section, define)
    with its numbers; :meth:`resolve` makes it a :class:`~orchestria_lab.music.scope.Scope`."""

    kind: str
    a: int = 0
    b: int = 0
    section: str | None = None
    ordinal: int = 0        # "the second verse": 2; "the last chorus": -1
    relation: str = ""      # "before the chorus": before
    text: str = ""

    @property
    def defines(self) -> str | None:
        """The section this names as a new part of the form ("make bars 9-16 a chorus")."""
        return self.section if self.kind == "define" else None

    def resolve(self, *, bars: int, sections: tuple[Section, ...] = ()) -> Scope:
        """The bars this means in a song of ``bars`` bars with ``sections`` (a section the song has
        becomes its bars, still named; one it lacks is an error listing those it has)."""
        if self.kind in ("section", "define"):
            name = self.section if not self.ordinal else f"{_ordinal_word(self.ordinal)} {self.section}"
            label = (f"{self.relation} " if self.relation else "") + name
            if not sections or self.kind == "define":
                return Scope(section=label)
            found = find_section(sections, self.section, ordinal=self.ordinal)
            first, last = found.bars_range
            if self.relation == "before":
                first, last = 1, found.start_bar - 1
            elif self.relation == "after":
                first, last = found.last_bar + 1, bars
            elif self.relation == "into":  # "a fill into the chorus": the bar that leads into it
                first = last = found.start_bar - 1
            if first < 1 or last < first:
                raise InvalidValue("bars", label, f"bars inside the song: {found.describe()} leaves none {self.relation} it")
            return Scope(first_bar=first, last_bar=last, section=label)
        n = self.a
        if self.kind == "range":
            first, last = self.a, self.b
        elif self.kind == "first":
            first, last = 1, n
        elif self.kind == "last":
            first, last = max(1, bars - n + 1), bars
        elif self.kind == "half":
            half = bars // 2
            first, last = (1, half) if self.a == 1 else (half + 1, bars)
        elif self.kind == "from":
            first, last = n, bars
        elif self.kind == "before":
            first, last = 1, n - 1
        else:  # until
            first, last = 1, n
        if first < 1 or last < first:
            raise InvalidValue("bars", self.text, f"a range inside the song (bars 1 to {bars}, counted from 1)")
        return Scope(first_bar=first, last_bar=last)


def _ordinal_word(n: int) -> str:
    return "last" if n == -1 else {1: "first", 2: "second", 3: "third", 4: "fourth"}.get(n, f"#{n}")


_N = r"(\d+|" + "|".join(sorted((w for w, v in NUMBER_WORDS.items() if v >= 1 and v == int(v)), key=len,
                                reverse=True)) + r")"
_PREP = r"(?:(?:in|on|for|over|during|across|at|within|of|throughout)\s+)?"
_BARS = r"(?:bars?|measures?)"
_TO = r"\s*(?:-|–|to|through|thru|until|till)\s*"
_SECTION = "|".join(sorted((re.escape(s) for names in SECTIONS.values() for s in names), key=len, reverse=True))
_ORD = "|".join(_ORDINALS)


def _num(word: str) -> int:
    return int(word) if word.isdigit() else int(NUMBER_WORDS[word.lower()])


def _section(word: str) -> str:
    return next(name for name, spellings in SECTIONS.items() if re.sub(r"\s+", " ", word.lower()) in spellings)


#: The ways of saying where, tried in order; each is a pattern and what it finds.
GRAMMAR: tuple[tuple[str, Callable[[re.Match], TimeRef]], ...] = (
    (rf"\bfrom\s+(?:the\s+)?{_BARS}\s+{_N}\s+(?:to|until|till)\s+the\s+end\b|\bfrom\s+{_BARS}\s+{_N}\s+on(?:wards?)?\b",
     lambda m: TimeRef("from", _num(m.group(1) or m.group(2)))),
    (rf"\bfrom\s+(?:the\s+)?{_BARS}\s+{_N}{_TO}{_BARS}\s+{_N}\b",
     lambda m: TimeRef("range", _num(m.group(1)), _num(m.group(2)))),
    (rf"\b(?:from|starting\s+(?:at|from|with))\s+(?:the\s+)?{_BARS}\s+{_N}\b(?!{_TO}(?:{_BARS}\s+)?{_N})",
     lambda m: TimeRef("from", _num(m.group(1)))),
    (rf"\b{_PREP}(?:the\s+)?{_BARS}\s+{_N}{_TO}{_N}\b", lambda m: TimeRef("range", _num(m.group(1)), _num(m.group(2)))),
    (rf"(?<=\band\s){_N}{_TO}{_N}\b", lambda m: TimeRef("range", _num(m.group(1)), _num(m.group(2)))),
    (rf"(?:(?<=\bonto\s)|(?<=\binto\s)|(?<=\bover\s)){_N}{_TO}{_N}\b",
     lambda m: TimeRef("range", _num(m.group(1)), _num(m.group(2)))),
    (rf"\b{_PREP}the\s+(first|opening|last|final|closing)\s+{_N}\s+{_BARS}\b",
     lambda m: TimeRef("first" if m.group(1).lower() in ("first", "opening") else "last", _num(m.group(2)))),
    (rf"\b{_PREP}the\s+(first|opening|last|final|closing)\s+{_BARS}\b",
     lambda m: TimeRef("first" if m.group(1).lower() in ("first", "opening") else "last", 1)),
    (rf"\b{_PREP}the\s+(first|second|last)\s+half(?:\s+of\s+the\s+(?:song|track|loop|tune|beat))?\b",
     lambda m: TimeRef("half", 1 if m.group(1).lower() == "first" else 2)),
    (rf"\b(?:before|up\s+to|until|till)\s+{_BARS}\s+{_N}\b",
     lambda m: TimeRef("before" if m.group(0).lower().startswith("before") else "until", _num(m.group(1)))),
    (rf"\b{_PREP}{_BARS}\s+{_N}\b", lambda m: TimeRef("range", _num(m.group(1)), _num(m.group(1)))),
    (rf"\b(?:make|call|name|label|mark|turn)\b[^,;.@]*?@\d+\s+(?:into\s+|as\s+)?(?:an?|the)\s+({_SECTION})\b",
     lambda m: TimeRef("define", section=_section(m.group(1)))),
    (rf"@\d+\s+(?:are|is|will\s+be|should\s+be|become|becomes)\s+(?:an?|the)\s+({_SECTION})\b",
     lambda m: TimeRef("define", section=_section(m.group(1)))),
    (rf"\band\s+@\d+\s+(?:as\s+)?(?:an?|the)\s+({_SECTION})\b", lambda m: TimeRef("define", section=_section(m.group(1)))),
    (rf"\b(before|after|into|in|during|for|from|through|throughout|on)\s+the\s+(?:({_ORD})\s+)?({_SECTION})\b",
     lambda m: TimeRef("section", section=_section(m.group(3)), ordinal=_ORDINALS.get((m.group(2) or "").lower(), 0),
                       relation=m.group(1).lower() if m.group(1).lower() in ("before", "after", "into") else "")),
    (rf"\bthe\s+(?:({_ORD})\s+)?({_SECTION})\b(?!\s+(?:{'|'.join(_EFFECT_AFTER)})\b)",
     lambda m: TimeRef("section", section=_section(m.group(2)), ordinal=_ORDINALS.get((m.group(1) or "").lower(), 0))),
    (rf"\b(?:an?|some)\s+({_SECTION})\b(?=[^.;]*\b(?:{_SECTION})\b)|(?<=\band\s)an?\s+({_SECTION})\b",
     lambda m: TimeRef("define", section=_section(m.group(1) or m.group(2)))),
)
_COMPILED = tuple((re.compile(p, re.IGNORECASE), build) for p, build in GRAMMAR)


def _is_section_word(ref: TimeRef, match: re.Match, text: str, known: frozenset[str] = frozenset()) -> bool:
    """An ambiguous word ("chorus", "drop") is a section when the song has one, or with an
    ordinal, a time preposition, or another section named in the same command."""
    if ref.kind not in ("section", "define") or ref.section not in _AMBIGUOUS and ref.section != "outro":
        return True
    if ref.section in known:
        return True
    if ref.ordinal or ref.kind == "define":
        return True
    said = match.group(0).lower().split()
    if said[0] in ("before", "after", "into", "in", "during", "through", "throughout", "for", "from"):
        return True
    others = [s for s in SECTIONS if s not in _AMBIGUOUS and re.search(rf"\b{s}\b", text, re.IGNORECASE)]
    if others:
        return True
    return ref.section == "chorus" and not re.search(r"\b(?:effect|chorused|modulation)\b", text, re.IGNORECASE)


def find(text: str, *, known: Iterable[str] = ()) -> tuple[str, list[TimeRef]]:
    """``text`` with each scope replaced by ``@k``, and the scopes found, in order. ``known`` are
    the kinds of section the song has ("drop" is then its drop, not a verb)."""
    known = frozenset(re.sub(r" \d+$", "", k) for k in known)
    refs: list[TimeRef] = []
    out = text.replace("@", " ")  # "@" marks the scopes found: none may come from the text itself
    for pattern, build in _COMPILED:
        while True:
            match = next((m for m in pattern.finditer(out) if _is_section_word(build(m), m, out, known)), None)
            if match is None:
                break
            ref = build(match)
            refs.append(TimeRef(ref.kind, ref.a, ref.b, ref.section, ref.ordinal, ref.relation, match.group(0).strip()))
            keep = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip())]
            if ref.kind == "define" and "@" in match.group(0):  # "make @0 a chorus": the range stays, named
                at = re.search(r"@\d+", match.group(0))
                replacement = match.group(0)[: at.end()] + f" @{len(refs) - 1}"
            else:
                replacement = f"{keep}@{len(refs) - 1}"
            out = out[: match.start()] + replacement + out[match.end():]
    return out, refs


_RENAME = re.compile(rf"^\s*(?:please\s+)?(?:rename|call)\s+the\s+(?:({_ORD})\s+)?({_SECTION})(\s+\d+)?\s+(?:to|as|into)?\s*"
                     rf"(?:the\s+|an?\s+)?([a-z][a-z\- ]{{0,30}}?)\s*[.!]?\s*$", re.IGNORECASE)


def rename(text: str) -> tuple[str, str] | None:
    """``(old, new)`` when the whole command renames a section ("rename the bridge to breakdown", "call the
    chorus the hook"); the new name is any word, a section name or one of your own."""
    m = _RENAME.match(text)
    if not m:
        return None
    old = _section(m.group(2)) + (m.group(3) or "")
    ordinal = _ORDINALS.get((m.group(1) or "").lower(), 0)
    if ordinal > 1:  # "the second chorus" is "chorus 2"
        old = f"{old} {ordinal}"
    new = m.group(4).lower()
    return old, next((name for name, spellings in SECTIONS.items() if new in spellings), new)
