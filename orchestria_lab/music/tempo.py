"""Tempo and key within a song: changes at bar lines, and where each beat falls in seconds.

A song has one tempo and key (``Meta.bpm``, ``Meta.key``) unless it changes at a bar line:
a :class:`TempoChange` ("70 bpm from bar 13") or a :class:`KeyChange` ("D from bar 9"). Notes
stay in beats; :func:`seconds` says when a beat sounds under the tempo map, which is what the
renderer and the MIDI writer follow.

>>> changes = (TempoChange(3, 60),)
>>> seconds([0.0, 8.0, 12.0], bpm=120, beats_per_bar=4, changes=changes).tolist()
[0.0, 4.0, 8.0]
>>> tempo_at(changes, bar=2, bpm=120), tempo_at(changes, bar=3, bpm=120)
(120, 60)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.theory import parse_key


@dataclass(frozen=True)
class TempoChange:
    """From bar ``bar`` (counted from 1) the song plays at ``bpm`` (the song's own tempo, ``Meta.bpm``,
    is where no change says otherwise)."""

    bar: int
    bpm: float

    def __post_init__(self) -> None:
        if isinstance(self.bar, bool) or not isinstance(self.bar, int) or not 1 <= self.bar <= 256:
            raise InvalidValue("tempo change bar", self.bar, "a bar from 1 to 256")
        bpm = self.bpm
        if isinstance(bpm, bool) or not isinstance(bpm, int | float) or not 20 <= bpm <= 300:
            raise InvalidValue("tempo change bpm", bpm, "a number from 20 to 300")
        object.__setattr__(self, "bpm", int(bpm) if float(bpm).is_integer() else round(float(bpm), 3))

    def to_dict(self) -> dict[str, Any]:
        return {"bar": self.bar, "bpm": self.bpm}


@dataclass(frozen=True)
class KeyChange:
    """From bar ``bar`` (counted from 1) the song is in ``key`` (``Meta.key`` where no change says otherwise)."""

    bar: int
    key: str

    def __post_init__(self) -> None:
        if isinstance(self.bar, bool) or not isinstance(self.bar, int) or not 1 <= self.bar <= 256:
            raise InvalidValue("key change bar", self.bar, "a bar from 1 to 256")
        object.__setattr__(self, "key", parse_key(self.key).name)

    def to_dict(self) -> dict[str, Any]:
        return {"bar": self.bar, "key": self.key}


def check_changes(changes: Iterable[Any], kind: type, *, bars: int) -> tuple:
    """Changes of ``kind`` in bar order, one per bar; those past the song's end go (a song cut
    shorter loses them, as it loses the notes there)."""
    out: dict[int, Any] = {}
    for c in changes:
        c = c if isinstance(c, kind) else kind(**dict(c)) if isinstance(c, Mapping) else c
        if not isinstance(c, kind):
            raise InvalidValue(kind.__name__, c, f"a {{'bar': ..., '{'bpm' if kind is TempoChange else 'key'}': ...}}")
        out[c.bar] = c
    return tuple(out[b] for b in sorted(out) if b <= bars)


def in_force(changes: Sequence[Any], *, bar: int, default: Any, field: str) -> Any:
    """``field`` of the last change at or before bar ``bar`` (``default``: the song's own)."""
    now = default
    for c in changes:
        if c.bar <= bar:
            now = getattr(c, field)
    return now


def tempo_at(changes: Sequence[TempoChange], *, bar: int, bpm: float) -> float:
    """The tempo bar ``bar`` plays at."""
    return in_force(changes, bar=bar, default=bpm, field="bpm")


def key_at(changes: Sequence[KeyChange], *, bar: int, key: str) -> str:
    """The key bar ``bar`` is in."""
    return in_force(changes, bar=bar, default=key, field="key")


def seconds(beats: Any, *, bpm: float, beats_per_bar: float, changes: Sequence[TempoChange] = ()) -> np.ndarray:
    """When each beat sounds, in seconds from the start, under the tempo map."""
    b = np.asarray(beats, dtype=np.float64)
    if not changes:
        return b * 60.0 / bpm
    edges = np.array([0.0] + [(c.bar - 1) * beats_per_bar for c in changes])
    spb = 60.0 / np.array([bpm] + [c.bpm for c in changes], dtype=np.float64)
    at = np.concatenate([[0.0], np.cumsum(np.diff(edges) * spb[:-1])])  # seconds at each edge
    k = np.searchsorted(edges, b, side="right") - 1
    k = np.clip(k, 0, len(edges) - 1)
    return at[k] + (b - edges[k]) * spb[k]


def changed(changes: Sequence[Any], value_at_end: Any, *, first: int, last: int, total: int, new: Any,
            make: type) -> tuple:
    """The changes with bars ``first``-``last`` set to ``new``: a change at ``first``, none inside, and
    the setting before them back at ``last + 1`` when the song goes on."""
    out = [c for c in changes if not first <= c.bar <= last + 1]
    out.append(make(first, new))
    if last < total:
        out.append(make(last + 1, value_at_end))
    return tuple(sorted(out, key=lambda c: c.bar))


def inserted(changes: Sequence[Any], *, at: int, bars: int) -> list[dict[str, Any]]:
    """The changes after ``bars`` new bars go in before bar ``at``: those from it on move later."""
    return [{**c.to_dict(), "bar": c.bar + bars if c.bar >= at else c.bar} for c in changes]


def deleted(changes: Sequence[Any], *, first: int, last: int) -> list[dict[str, Any]]:
    """The changes after bars ``first``-``last`` are taken out: those after move up, and the last one
    inside (what was in force after the cut) starts where the cut was.

    >>> deleted((TempoChange(3, 60), TempoChange(9, 100)), first=2, last=4)
    [{'bar': 2, 'bpm': 60}, {'bar': 6, 'bpm': 100}]
    """
    n = last - first + 1
    inside = [c for c in changes if first <= c.bar <= last]
    out = [c.to_dict() for c in changes if c.bar < first]
    if inside and not any(c.bar == last + 1 for c in changes):
        out.append({**inside[-1].to_dict(), "bar": first})
    out += [{**c.to_dict(), "bar": c.bar - n} for c in changes if c.bar > last]
    return out


__all__ = ["deleted", "inserted", "KeyChange", "TempoChange", "changed", "check_changes", "key_at", "seconds", "tempo_at"]
