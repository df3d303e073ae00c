"""Where in the song an action applies: a range of bars (counted from 1, as musicians count) or
a named section.

A command's time scope ("in bars 5 to 8", "the last 4 bars", "the chorus") becomes a
:class:`Scope` on its action. Relative phrases are made absolute against the song's length
when the command is read, so a scope always names the bars it means.

>>> Scope(first_bar=5, last_bar=8).describe()
'bars 5-8'
>>> Scope.last(4, of=16)
Scope(first_bar=13, last_bar=16, section=None)
>>> Scope(first_bar=9).bars(total=16), Scope(first_bar=3, last_bar=3).describe()
((9, 16), 'bar 3')
>>> Scope(first_bar=5, last_bar=20).check(total=16)
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: scope='bars 5-20' is not valid: expected bars within the song (1 to 16).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestria_lab.errors import InvalidValue


@dataclass(frozen=True)
class Scope:
    """A bar range (``first_bar`` to ``last_bar``, inclusive; ``None`` for the song's end) or a section."""

    first_bar: int | None = None
    last_bar: int | None = None
    section: str | None = None

    def __post_init__(self) -> None:
        if self.section is None and self.first_bar is None:
            raise InvalidValue("scope", self, "a first bar or a section name")
        for name in ("first_bar", "last_bar"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise InvalidValue(f"scope.{name}", value, "a bar number from 1 (bars count from 1)")
        if self.first_bar and self.last_bar and self.last_bar < self.first_bar:
            raise InvalidValue("scope", self.describe(), "a range whose first bar comes before its last")

    @classmethod
    def last(cls, n: int, *, of: int) -> Scope:
        """The last ``n`` bars of a song of ``of`` bars."""
        return cls(first_bar=max(1, of - n + 1), last_bar=of)

    def bars(self, *, total: int) -> tuple[int, int]:
        """``(first, last)`` of a bar range, the open end filled with ``total``."""
        if self.first_bar is None:
            raise InvalidValue("scope", self.describe(), "a bar range (a section is found in the session)")
        return int(self.first_bar or 1), int(self.last_bar or total)

    def check(self, *, total: int) -> Scope:
        """This scope, or :class:`InvalidValue` when its bars lie outside a song of ``total`` bars."""
        if self.first_bar is not None:
            first, last = self.bars(total=total)
            if first > total or last > total:
                raise InvalidValue("scope", self.describe(), f"bars within the song (1 to {total})")
        return self

    def describe(self) -> str:
        if self.section is not None:
            relation, _, rest = self.section.partition(" ")
            if relation in ("before", "after", "into") and rest:  # "before the chorus"
                return f"{relation} the {rest}"
            return f"the {self.section}"
        if self.last_bar is None:
            return f"bar {self.first_bar} to the end"
        if self.first_bar == self.last_bar:
            return f"bar {self.first_bar}"
        return f"bars {self.first_bar}-{self.last_bar}"

    def to_dict(self) -> dict[str, Any]:
        return {"first_bar": self.first_bar, "last_bar": self.last_bar, "section": self.section}
