"""Song form: named sections over the bars of a song (intro, verse, chorus ...), counted from 1.

A :class:`Section` is a name, its first bar and its length in bars. A song's sections never
overlap and lie inside it; two sections of one kind are numbered ("chorus", "chorus 2").
Defining or renaming sections changes no note.

>>> form = add_section((), "verse", first_bar=1, last_bar=8, total=16)
>>> form = add_section(form, "chorus", first_bar=9, last_bar=16, total=16)
>>> [s.describe() for s in form]
['verse (bars 1-8)', 'chorus (bars 9-16)']
>>> find_section(form, "chorus").bars_range
(9, 16)
>>> find_section(form, "bridge")
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: section='bridge' is not valid: expected one of the song's sections: verse (bars 1-8), chorus (bars 9-16).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.naming import numbered

_NAME = re.compile(r"^[a-z][a-z\- ]{0,30}( \d{1,2})?$")


@dataclass(frozen=True)
class Section:
    """A named part of the song: ``bars`` bars from ``start_bar`` (counted from 1)."""

    name: str
    start_bar: int
    bars: int

    def __post_init__(self) -> None:
        name = re.sub(r"\s+", " ", str(self.name).strip().lower())
        if not _NAME.match(name):
            raise InvalidValue("section name", self.name, "a word such as intro, verse, chorus, bridge, outro")
        object.__setattr__(self, "name", name)
        for field, value in (("start_bar", self.start_bar), ("bars", self.bars)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidValue(f"section {field}", value, "a whole number from 1 (bars count from 1)")

    @property
    def last_bar(self) -> int:
        return self.start_bar + self.bars - 1

    @property
    def bars_range(self) -> tuple[int, int]:
        return self.start_bar, self.last_bar

    def describe(self) -> str:
        return f"{self.name} (bar {self.start_bar})" if self.bars == 1 else \
            f"{self.name} (bars {self.start_bar}-{self.last_bar})"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "start_bar": self.start_bar, "bars": self.bars}

    @classmethod
    def of(cls, value: Section | Mapping[str, Any]) -> Section:
        return value if isinstance(value, Section) else cls(**dict(value))


def check_sections(sections: Iterable[Section | Mapping[str, Any]], *, total: int) -> tuple[Section, ...]:
    """The sections in bar order, checked: inside a song of ``total`` bars, no two overlapping,
    no two with one name."""
    out = tuple(sorted((Section.of(s) for s in sections), key=lambda s: s.start_bar))
    for s in out:
        if s.last_bar > total:
            raise InvalidValue("section", s.describe(), f"bars within the song (1 to {total})")
    for a, b in zip(out, out[1:], strict=False):
        if b.start_bar <= a.last_bar:
            raise InvalidValue("section", b.describe(), f"bars that do not overlap {a.describe()}")
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise InvalidValue("section names", names, "a different name for each section (chorus, chorus 2)")
    return out


def _fresh_name(sections: tuple[Section, ...], name: str) -> str:
    return numbered(name, {s.name for s in sections})


def add_section(sections: tuple[Section, ...], name: str, *, first_bar: int, last_bar: int,
                total: int) -> tuple[Section, ...]:
    """``sections`` with bars ``first_bar``-``last_bar`` named ``name`` (numbered when the name is
    taken); a section these bars exactly were is renamed, one they overlap is an error."""
    rest = tuple(s for s in sections if s.bars_range != (first_bar, last_bar))
    new = Section(_fresh_name(rest, name), first_bar, last_bar - first_bar + 1)
    return check_sections((*rest, new), total=total)


def rename_section(sections: tuple[Section, ...], old: str, new: str) -> tuple[Section, ...]:
    """``sections`` with ``old`` (a name in the song) called ``new``."""
    found = find_section(sections, old)
    rest = tuple(s for s in sections if s != found)
    return tuple(sorted((*rest, Section(_fresh_name(rest, new), found.start_bar, found.bars)),
                        key=lambda s: s.start_bar))


def renumber(sections: Iterable[Section | Mapping[str, Any]]) -> tuple[Section, ...]:
    """Numbered sections of one kind ("chorus", "chorus 2") numbered again in bar order, so the
    second chorus is "chorus 2" wherever one was inserted; names of your own stay.

    >>> [s.name for s in renumber([Section("chorus 2", 9, 8), Section("chorus", 25, 8), Section("hook", 1, 8)])]
    ['hook', 'chorus', 'chorus 2']
    """
    ordered = sorted((Section.of(s) for s in sections), key=lambda s: s.start_bar)
    kinds = [re.sub(r" \d+$", "", s.name) for s in ordered]
    counts: dict[str, int] = {}
    out = []
    for s, kind in zip(ordered, kinds, strict=True):
        if sum(k == kind for k in kinds) > 1 and re.fullmatch(rf"{re.escape(kind)}( \d+)?", s.name):
            counts[kind] = counts.get(kind, 0) + 1
            s = Section(kind if counts[kind] == 1 else f"{kind} {counts[kind]}", s.start_bar, s.bars)
        out.append(s)
    return tuple(out)


def fit_sections(sections: tuple[Section, ...], *, total: int) -> tuple[Section, ...]:
    """The sections of a song cut to ``total`` bars: those past the end go, one across it ends there."""
    return tuple(Section(s.name, s.start_bar, min(s.bars, total - s.start_bar + 1))
                 for s in sections if s.start_bar <= total)


def find_section(sections: tuple[Section, ...], name: str, *, ordinal: int = 0) -> Section:
    """The section called ``name`` ("chorus"; with ``ordinal`` 2 the second of its kind, -1 the
    last); an error listing the song's sections when there is none."""
    name = name.strip().lower()
    exact = [s for s in sections if s.name == name]
    kind = [s for s in sections if re.sub(r" \d+$", "", s.name) == name]
    if ordinal:
        if -len(kind) <= (ordinal - 1 if ordinal > 0 else ordinal) < len(kind):
            return kind[ordinal - 1 if ordinal > 0 else ordinal]
    elif exact or kind:
        return (exact or kind)[0]
    have = ", ".join(s.describe() for s in sections) or "none yet"
    label = name if not ordinal else f"#{ordinal} {name}"
    raise InvalidValue("section", label, f"one of the song's sections: {have}")
