"""What a command can ask that the orchestra understands but cannot do yet, refused by name.

The trust rule: such a command is refused with what was understood and what to try, never
replaced by something the agents can do ("add a vocal" is not a pad, "a 4 bar fill" is not a
longer song, "play Dm G C" is not a key change). Each limit is one row of :data:`LIMITS`: a
test over a clause's tokens, the reason, and suggestions. (Several takes of a part, "three
variations", were one; they are :mod:`~orchestria_lab.language.takes` now.)

>>> from orchestria_lab.language.frames import frames
>>> check(frames("add a 4 bar drum fill"))[0].startswith("the drums play a fill")
True
>>> check(frames("play the chords Dm G C Am"))[0].startswith("chord symbols")
True
>>> check(frames("make the drums louder")) is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestria_lab.language.lexicon import CANNOT

if TYPE_CHECKING:
    from orchestria_lab.language.frames import Frame

@dataclass(frozen=True)
class Limit:
    """One thing we cannot do yet: whether a clause asks it, why not, and what to try instead."""

    name: str
    asks: Callable[[Frame], bool]
    reason: str
    suggestions: tuple[str, ...] = ()


def _chord_symbols(f: Frame) -> bool:
    keys = sum(t.kind == "key" for t in f.tokens)
    return keys >= 3 or (keys >= 2 and f.has("role", "chords") and not f.has("meta", "key"))


def _long_fill(f: Frame) -> bool:
    """A fill of a given length ("a 4 bar drum fill"): the drums play a one-bar fill per phrase."""
    return f.has("fill") and any(t.kind == "number" and t.value[1] in ("bars", "beats") for t in f.tokens)


#: Words that ask for bars to be played again or elsewhere ("loop bars 1 to 2").
REPEATING = ("repeat", "repeats", "loop", "copy", "duplicate", "reuse")


def _repeating_bars(f: Frame) -> bool:
    return bool(f.scopes) and any(t.text in REPEATING for t in f.tokens)


LIMITS: tuple[Limit, ...] = (
    Limit("chord symbols", _chord_symbols, "chord symbols are not something the harmony agent plays yet, and I will "
          "not change the key in their place", ("regenerate the chords", "add jazzy chords", "set the key to A minor")),
    Limit("fill length", _long_fill, "the drums play a fill at the end of every 4-bar phrase; a fill of a "
          "length you choose is not something they write yet, and I will not lengthen the song for it",
          ("add fills to the drums", "remove the fills")),
)


def check(clauses: list[Frame]) -> tuple[str, list[str]] | None:
    """The reason and suggestions of the first limit a clause asks for, or of a word we cannot make
    (lexicon ``cannot``); None when the command asks for nothing out of reach."""
    for f in clauses:
        if word := next((t for t in f.tokens if t.kind == "cannot"), None):
            return f"{CANNOT[word.value]} ('{word.text}')", []
        for limit in LIMITS:
            if limit.asks(f):
                return limit.reason, list(limit.suggestions)
    return None
