"""Automation lanes: a stem's gain, pan, filter cutoff or effect mix, moving over time.

A lane is points ``(param, beat, value, curve)`` on one stem; between two points the value
moves by the first point's ``curve`` (``linear``; ``exp``, evenly in ratio, for cutoffs;
``step``, held), and it holds before the first point and after the last. Which parameters can
move, and over what range, is one table, :data:`PARAMS`. :func:`envelope` makes a lane one
value per sample (the renderer applies it sample-accurately, so stem downloads carry it).

>>> lane = [Point("gain_db", 0.0, -60.0, "linear"), Point("gain_db", 16.0, 0.0, "linear")]
>>> envelope(lane, times=[0.0, 8.0, 16.0, 20.0]).tolist()
[-60.0, -30.0, 0.0, 0.0]
>>> Point("cutoff", 0.0, 1.0).checked()
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: automation param='cutoff' is not valid: expected one of gain_db, pan, lowpass_hz, highpass_hz, or <effect>.mix (reverb.mix, delay.mix ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.vocabulary import EFFECT_TYPES

#: What a lane can move: its range, and the value it has when no lane moves it (None: the stem's own).
PARAMS: dict[str, tuple[float, float, float | None]] = {
    "gain_db": (-96.0, 24.0, 0.0),       # added to the stem's gain
    "pan": (-1.0, 1.0, None),            # replaces the stem's pan while the lane runs
    "lowpass_hz": (20.0, 20000.0, 20000.0),
    "highpass_hz": (20.0, 20000.0, 20.0),
}
#: An effect's wet/dry mix, 0 to 1: "<effect>.mix".
MIX_RANGE = (0.0, 1.0)
CURVES = ("linear", "exp", "step")
_EXP, _STEP = CURVES.index("exp"), CURVES.index("step")
#: The most points one stem's lanes may hold (a sidechain over 256 bars needs about 2,300).
MAX_POINTS = 8192


class Point(NamedTuple):
    """One automation point: ``param`` is ``value`` at ``beat`` and moves to the next point by ``curve``."""

    param: str
    beat: float
    value: float
    curve: str = "linear"

    def checked(self) -> Point:
        low, high = value_range(self.param)
        if isinstance(self.beat, bool) or not isinstance(self.beat, int | float) or not 0 <= self.beat <= 256 * 16:
            raise InvalidValue("automation beat", self.beat, "a beat from 0 (the song's start)")
        v = self.value
        if isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high:
            raise InvalidValue(f"{self.param} value", v, f"a number from {low:g} to {high:g}")
        if self.curve not in CURVES:
            raise InvalidValue("automation curve", self.curve, "one of " + ", ".join(CURVES))
        return Point(self.param, round(float(self.beat), 4) + 0.0, round(float(v), 4) + 0.0, self.curve)


def value_range(param: str) -> tuple[float, float]:
    """The range ``param`` moves in, or an error saying what can be automated."""
    if param in PARAMS:
        return PARAMS[param][:2]
    effect, _, what = str(param).partition(".")
    if what == "mix" and effect in EFFECT_TYPES:
        return MIX_RANGE
    raise InvalidValue("automation param", param, "one of " + ", ".join(PARAMS) + ", or <effect>.mix (reverb.mix, "
                       "delay.mix ...)")


def check_points(points: Iterable[Any]) -> tuple[Point, ...]:
    """Points checked and in order (by param, then beat); at most :data:`MAX_POINTS`."""
    out = [(p if isinstance(p, Point) else Point(**p) if isinstance(p, dict) else Point(*p)).checked() for p in points]
    if len(out) > MAX_POINTS:
        raise InvalidValue("automation", f"{len(out)} points", f"at most {MAX_POINTS} points on one stem")
    return tuple(sorted(out, key=lambda p: (p.param, p.beat)))


def lanes(points: Sequence[Point]) -> dict[str, list[Point]]:
    """The points of each param, in beat order."""
    out: dict[str, list[Point]] = {}
    for p in points:
        out.setdefault(p.param, []).append(p)
    return out


def envelope(lane: Sequence[Point], *, times: Any, beats: Any | None = None) -> np.ndarray:
    """The lane's value at each of ``times`` (in the same unit as ``beats``, the points' positions
    in that unit; default: the points' beats)."""
    t = np.asarray(times, dtype=np.float64)
    at = np.asarray([p.beat for p in lane] if beats is None else beats, dtype=np.float64)
    values = np.array([p.value for p in lane], dtype=np.float64)
    out = np.interp(t, at, values)
    codes = np.array([CURVES.index(p.curve) for p in lane], dtype=np.int8)
    if not codes[:-1].any():  # all linear: the interpolation is the envelope
        return out
    k = np.clip(np.searchsorted(at, t, side="right") - 1, 0, len(lane) - 1)
    nxt = np.minimum(k + 1, len(lane) - 1)
    inside = (t >= at[0]) & (t < at[-1])
    kind = codes[k]
    step = inside & (kind == _STEP)
    out[step] = values[k[step]]
    exp = inside & (kind == _EXP) & (values[k] > 0) & (values[nxt] > 0)
    if exp.any():
        span = np.maximum(at[nxt[exp]] - at[k[exp]], 1e-12)
        frac = (t[exp] - at[k[exp]]) / span
        out[exp] = values[k[exp]] * (values[nxt[exp]] / values[k[exp]]) ** frac
    return out


def spans(lane: Sequence[Point], *, at: Any, n: int) -> list[tuple[int, int, float, float, str]]:
    """The lane over samples ``0..n`` as spans ``(start, stop, value at start, value at stop, curve)``,
    ``at`` giving each point's position in samples; before the first point and after the last the
    value holds. A renderer applies a constant span as one number and a ramp as an array.

    >>> spans([Point("gain_db", 0, -60.0), Point("gain_db", 4, 0.0)], at=[2, 6], n=10)
    [(0, 2, -60.0, -60.0, 'step'), (2, 6, -60.0, 0.0, 'linear'), (6, 10, 0.0, 0.0, 'step')]
    """
    at = [int(round(float(x))) for x in at]
    out = []
    if at[0] > 0:
        out.append((0, min(at[0], n), lane[0].value, lane[0].value, "step"))
    for p, q, a, b in zip(lane, lane[1:], at, at[1:], strict=False):
        if b > a and a < n:
            out.append((a, min(b, n), p.value, q.value if p.curve != "step" else p.value, p.curve))
    if at[-1] < n:
        out.append((max(at[-1], 0), n, lane[-1].value, lane[-1].value, "step"))
    return out


def ramp(start: float, stop: float, length: int, curve: str, *, total: int | None = None) -> np.ndarray:
    """``length`` values of a span moving from ``start`` toward ``stop`` over ``total`` samples (default
    ``length``; a span cut short by the end of the audio stops part of the way)."""
    total = length if total is None else total
    frac = np.arange(length, dtype=np.float64) / max(total, 1)
    if curve == "exp" and start > 0 and stop > 0:
        return start * (stop / start) ** frac
    return start + (stop - start) * frac


__all__ = ["CURVES", "ramp", "spans", "MAX_POINTS", "PARAMS", "Point", "check_points", "envelope", "lanes", "value_range"]
