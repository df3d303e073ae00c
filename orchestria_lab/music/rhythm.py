"""Meter and time feel: how a bar groups its pulses, which beats are strong, and swing.

Every generator (chords, melody, bass, drums) places notes through these helpers, so a
change of time signature re-makes every part in the same meter, and swing is applied the
same way everywhere. Positions are in quarter-note beats.

>>> m = Meter.of("6/8")
>>> m.beats_per_bar, m.group_starts, m.strong
(3.0, (0.0, 1.5), (0.0,))
>>> Meter.of("4/4").strong, Meter.of("7/8").group_lengths
((0.0, 2.0), (1.0, 1.0, 1.5))
>>> swing(0.5, 1.0), swing(1.0, 1.0), swing(0.25, 0.0)
(0.6667, 1.0, 0.25)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from orchestria_lab.music.theory import parse_time_signature

#: The finest grid every generator quantises to, in beats (a 32nd note).
GRID = 0.125


@dataclass(frozen=True)
class Meter:
    """A time signature as pulse groups: ``group_starts``/``group_lengths`` in beats."""

    numerator: int
    denominator: int
    group_starts: tuple[float, ...]
    group_lengths: tuple[float, ...]

    @staticmethod
    @lru_cache(maxsize=64)
    def of(time_signature: str) -> Meter:
        """The meter of ``"4/4"``, ``"3/4"``, ``"6/8"``, ``"7/8"`` ... (groups of 2 and 3 units)."""
        n, d = parse_time_signature(time_signature)
        unit = 4.0 / d
        if d >= 8 and n % 3 == 0 and n > 3:
            units = [3] * (n // 3)  # compound: dotted pulses
        elif d >= 8:
            units = [2] * (n // 2)
            if n % 2:
                units = units[:-1] + [3] if units else [1]
        elif n > 4 and n % 2 == 1:
            units = [1] * n  # 5/4, 7/4: beat pulses, accent pattern below
        else:
            units = [1] * n
        starts, lengths, t = [], [], 0.0
        for u in units:
            starts.append(t)
            lengths.append(u * unit)
            t += u * unit
        return Meter(n, d, tuple(starts), tuple(lengths))

    @property
    def beats_per_bar(self) -> float:
        return self.numerator * 4.0 / self.denominator

    @property
    def unit(self) -> float:
        """The length of one denominator unit in beats (an eighth in 6/8 is 0.5)."""
        return 4.0 / self.denominator

    @property
    def strong(self) -> tuple[float, ...]:
        """Beats that carry an accent: the downbeat and the middle of the bar where there is one."""
        starts = self.group_starts
        if len(starts) >= 4 and len(starts) % 2 == 0:
            return (starts[0], starts[len(starts) // 2])
        if len(starts) in (5, 7):  # 3+2 and 4+3
            return (starts[0], starts[(len(starts) + 1) // 2])
        if len(starts) == 2 and self.group_lengths[0] == 2.0:  # 2/2: both minims
            return starts
        return (starts[0],)  # 3/4, 6/8, 7/8 ...: the downbeat (6/8's second pulse is the weaker one)

    @property
    def subdivision(self) -> float:
        """The pulse that hats and arpeggios run on: an eighth note (0.5 beat)."""
        return 0.5

    def is_strong(self, position: float) -> bool:
        """Whether ``position`` (beats from the bar start) is one of :attr:`strong`."""
        return any(abs(position - s) < 1e-6 for s in self.strong)

    def is_group_start(self, position: float) -> bool:
        return any(abs(position - s) < 1e-6 for s in self.group_starts)


def swing(position: float, amount: float, *, subdivision: float = 0.5) -> float:
    """Delay the off-beat ``subdivision`` notes by ``amount`` (0 straight .. 1 full triplet).

    An eighth-note off-beat at 0.5 moves to 0.5 + amount/6 (2/3 at full swing); on-beats
    and notes off the subdivision grid are unchanged. Rounded to 4 decimals.
    """
    if amount <= 0:
        return round(position, 4)
    pair = 2 * subdivision
    offset = position % pair
    if abs(offset - subdivision) < 1e-6:
        return round(position + amount * pair / 6.0, 4)
    return round(position, 4)


def swing_span(start: float, duration: float, amount: float, *,
               subdivision: float = 0.5) -> tuple[float, float]:
    """A note's onset and length after :func:`swing`: both of its ends move with the grid,
    so a note that lasted up to the next off-beat still does.

    >>> swing_span(0.0, 0.5, 1.0), swing_span(0.5, 0.5, 1.0)
    ((0.0, 0.6667), (0.6667, 0.3333))
    """
    on = swing(start, amount, subdivision=subdivision)
    off = swing(start + duration, amount, subdivision=subdivision)
    return on, round(max(off - on, min(duration, GRID) / 2), 4)


def unswing(position: float, amount: float, *, subdivision: float = 0.5) -> float:
    """The grid position a swung ``position`` came from (the inverse of :func:`swing`).

    >>> unswing(swing(2.5, 0.55), 0.55)
    2.5
    """
    if amount <= 0:
        return position
    pair = 2 * subdivision
    delay = amount * pair / 6.0
    offset = (position - delay) % pair
    if abs(offset - subdivision) < 1e-3:
        return round(position - delay, 4)
    return position
