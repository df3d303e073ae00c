"""Notes: the one record every part is made of, below everything that makes or plays them.

>>> Note(60, 0.0, 1.0)
Note(pitch=60, start=0.0, duration=1.0, velocity=100)
>>> check_notes([(64, 1, 0.5, 90), Note(60, 0.0, 1.0)])
(Note(pitch=60, start=0.0, duration=1.0, velocity=100), Note(pitch=64, start=1.0, duration=0.5, velocity=90))
>>> check_notes([(60, -1, 1)])
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: start=-1 is not valid: expected a finite number of beats >= 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from orchestria_lab.errors import InvalidValue


class Note(NamedTuple):
    """One note: MIDI pitch (or GM drum number), start and duration in beats, velocity 1-127."""

    pitch: int
    start: float
    duration: float
    velocity: int = 100


def check_notes(notes: Iterable[Any]) -> tuple[Note, ...]:
    """``notes`` (Notes, tuples or dicts) checked, converted and sorted by start, pitch, duration."""
    out = []
    for n in notes:
        note = n if isinstance(n, Note) else Note(*n) if not isinstance(n, Mapping) else Note(**n)
        pitch, start, duration, velocity = note
        if not (isinstance(pitch, int | float) and float(pitch).is_integer() and 0 <= pitch <= 127):
            raise InvalidValue("pitch", pitch, "a whole number from 0 to 127")
        if not (isinstance(start, int | float) and math.isfinite(start) and start >= 0):
            raise InvalidValue("start", start, "a finite number of beats >= 0")
        if not (isinstance(duration, int | float) and math.isfinite(duration) and duration > 0):
            raise InvalidValue("duration", duration, "a finite number of beats > 0")
        if not (isinstance(velocity, int | float) and 1 <= velocity <= 127):
            raise InvalidValue("velocity", velocity, "a number from 1 to 127")
        out.append(Note(int(pitch), float(start), float(duration), int(round(velocity))))
    out.sort(key=lambda n: (n.start, n.pitch, n.duration, n.velocity))
    return tuple(out)
