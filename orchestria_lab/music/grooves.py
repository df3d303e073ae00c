"""Drum grooves per style, in any meter: patterns, swing, humanised velocity and timing, fills.

A groove is a set of 16-step patterns for one 4/4 bar (``X`` accent, ``x`` hit, ``g``
ghost, ``.`` rest). Other meters are built from their pulse groups (kick on the
downbeat, backbeats between, hats on every eighth). Notes are General MIDI drum numbers.

>>> import numpy as np
>>> notes = groove(style="four_on_the_floor", time_signature="4/4", bars=2, rng=np.random.default_rng(0))
>>> sorted({n.start for n in notes if n.pitch == 36})
[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
>>> STYLE_FOR_GENRE["hip-hop"], GROOVES["trap"].half_time
('boom_bap', True)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from orchestria_lab.music.genres import GENRES
from orchestria_lab.music.notes import Note
from orchestria_lab.music.rhythm import Meter, swing
from orchestria_lab.music.vocabulary import GM_DRUMS

KICKS = frozenset({35, 36})
SNARES = frozenset({37, 38, 39, 40})

#: Drum voices people name, and the GM numbers each covers ("kill the hats").
VOICE_GROUPS: dict[str, frozenset[int]] = {
    "kick": frozenset({35, 36}), "snare": frozenset({38, 40}), "clap": frozenset({39}),
    "rim": frozenset({37}), "hats": frozenset({42, 44, 46}), "open_hat": frozenset({46}),
    "ride": frozenset({51}), "crash": frozenset({49}), "toms": frozenset({41, 45, 47, 50}),
    "cymbals": frozenset({42, 44, 46, 49, 51}), "shaker": frozenset({70}),
    "tambourine": frozenset({54}), "cowbell": frozenset({56}),
}


@dataclass(frozen=True)
class Groove:
    """One style: 16-step patterns per voice, its swing, and its feel."""

    name: str
    parts: dict[str, str]
    swing: float = 0.0
    swung: bool = False          # follows the session genre's swing where the genre swings
    half_time: bool = False      # backbeat on 3 (trap)
    rolls: bool = False          # 16th/32nd hat rolls (trap)
    sixteenths: bool = False     # swing the 16ths (funk, boom bap hats) rather than the 8ths
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # added when the part is busy


_H8 = "x.x.x.x.x.x.x.x."
GROOVES: dict[str, Groove] = {g.name: g for g in (
    Groove("boom_bap", {"kick": "X......x..X.....", "snare": "....X.......X...", "closed_hat": _H8},
           0.35, True, description="boom bap: kick on 1 and the and of 2/3, snare on 2 and 4, swung hats",
           extra={"snare": "....X..g....X..g", "closed_hat": "x.x.x.xxx.x.x.xx"}),
    Groove("lofi", {"kick": "X......x.xX.....", "snare": "....X.......X...", "closed_hat": _H8, "open_hat": "..............x."},
           0.55, True, description="dusty, lazy swung boom bap", extra={"rim": "..g.......g....."}),
    Groove("four_on_the_floor", {"kick": "X...X...X...X...", "clap": "....X.......X...", "open_hat": "..x...x...x...x.", "closed_hat": "x...x...x...x..."},
           0.1, description="four on the floor: a kick every beat, clap on 2 and 4, open hats off the beat",
           extra={"closed_hat": "xxxxxxxxxxxxxxxx", "shaker": "x.x.x.x.x.x.x.x."}),
    Groove("techno", {"kick": "X...X...X...X...", "closed_hat": "..x...x...x...x.", "rim": "......x.......x."},
           description="driving kick, off-beat hats", extra={"closed_hat": "xxxxxxxxxxxxxxxx", "clap": "....x.......x..."}),
    Groove("rock", {"kick": "X.......X.x.....", "snare": "....X.......X...", "closed_hat": _H8},
           description="rock backbeat: kick on 1 and 3, snare on 2 and 4, eighth hats",
           extra={"kick": "X.......X.x..x..", "closed_hat": "X.x.X.x.X.x.X.x."}),
    Groove("pop", {"kick": "X.......X.......", "snare": "....X.......X...", "clap": "....x.......x...", "closed_hat": _H8},
           description="steady pop backbeat", extra={"kick": "X.......X.x.....", "closed_hat": "xxxxxxxxxxxxxxxx"}),
    Groove("trap", {"kick": "X......x..X.....", "snare": "........X.......", "closed_hat": _H8},
           half_time=True, rolls=True, description="half-time snare on 3, rolling hats",
           extra={"kick": "X......x..X...x.", "open_hat": "......x........."}),
    Groove("breakbeat", {"kick": "X.........X.....", "snare": "....X.......X...", "closed_hat": _H8},
           description="two-step break", extra={"snare": "....X..g.g..X..g", "kick": "X.x.......X....."}),
    Groove("funk", {"kick": "X..x..x...x..x..", "snare": "....X..g.g..X..g", "closed_hat": "xxxxxxxxxxxxxxxx"},
           0.2, True, sixteenths=True, description="syncopated sixteenths with ghost notes"),
    Groove("jazz", {"ride": "X...x.x.X...x.x.", "pedal_hat": "....x.......x...", "kick": "g..............."},
           0.66, True, description="swung ride, hi-hat on 2 and 4, feathered kick",
           extra={"snare": "..........g....g", "kick": "g...g...g...g..."}),
    Groove("one_drop", {"kick": "........X.......", "rim": "........X.......", "closed_hat": "..x...x...x...x."},
           0.1, True, description="reggae one drop: kick and rim on 3"),
    Groove("latin", {"kick": "X..x....X..x....", "rim": "x..x..x...x.x...", "shaker": "xxxxxxxxxxxxxxxx"},
           description="son clave on the rim over a tumbao kick", extra={"cowbell": "x...x...x...x..."}),
    Groove("ambient", {"kick": "X...............", "shaker": "x.x.x.x.x.x.x.x."},
           description="sparse pulse", extra={"rim": "........x......."}),
    Groove("cinematic", {"kick": "X.......X.......", "low_tom": "x..x..x.........", "mid_tom": "..........x.x..."},
           description="tom ostinato", extra={"snare": "............X..."}),
    Groove("folk", {"kick": "X.......X.......", "rim": "....x.......x...", "shaker": _H8},
           description="light backbeat with shaker", extra={"tambourine": "....x.......x..."}),
    Groove("dubstep", {"kick": "X.........x.....", "snare": "........X.......", "closed_hat": _H8},
           half_time=True, description="half time: kick on 1, snare on 3, straight hats",
           extra={"kick": "X.........x..x..", "open_hat": "......x.......x."}),
    Groove("synthwave", {"kick": "X.......X.......", "snare": "....X.......X...", "closed_hat": "xxxxxxxxxxxxxxxx"},
           description="80s gated backbeat over sixteenth hats", extra={"clap": "....x.......x...", "kick": "X.......X.x....."}),
    Groove("drill", {"kick": "X.....x...x.....", "snare": "........X.....x.", "closed_hat": "x..x..x.x..x..x."},
           half_time=True, rolls=True, description="skippy kicks, half-time snare with a late second hit, triplet hats",
           extra={"kick": "X.....x...x..x..", "open_hat": "..........x....."}),
    Groove("afrobeats", {"kick": "X.....x.X.....x.", "rim": "...x..x....x..x.", "clap": "....x.......x...",
                         "shaker": "xxxxxxxxxxxxxxxx"},
           0.15, True, sixteenths=True, description="afrobeats: 3-3-2 kick, syncopated rim, sixteenth shakers",
           extra={"cowbell": "x..x..x.x..x..x.", "closed_hat": _H8}),
    Groove("bossa", {"kick": "X..xX..xX..xX..x", "rim": "x..x..x...x..x..", "closed_hat": _H8},
           description="bossa nova: dotted kick, cross-stick clave", extra={"shaker": "xxxxxxxxxxxxxxxx"}),
    Groove("metal", {"kick": "XxxxXxxxXxxxXxxx", "snare": "....X.......X...", "closed_hat": _H8},
           description="double kick under a heavy backbeat", extra={"kick": "xxxxxxxxxxxxxxxx", "crash": "X.......X......."}),
    Groove("ambient_techno", {"kick": "X...X...X...X...", "closed_hat": "..x...x...x...x.", "shaker": _H8},
           description="soft kick every beat, off-beat hats, shaker", extra={"rim": "......x.......x."}),
    Groove("two_step", {"kick": "X.........X.....", "snare": "....X.......X...", "closed_hat": "..x...x...x...xx"},
           0.3, True, sixteenths=True, description="UK garage two-step: skipped kicks, swung sixteenths",
           extra={"kick": "X.....x...X.....", "shaker": "xxxxxxxxxxxxxxxx"}),
    Groove("shuffle", {"kick": "X.......X.......", "snare": "....X.......X...", "ride": _H8},
           0.66, True, description="blues shuffle: swung ride, backbeat", extra={"snare": "....X.....g.X...", "kick": "X.....x.X......."}),
    Groove("dembow", {"kick": "X...X...X...X...", "snare": "...x..x....x..x.", "closed_hat": _H8},
           description="the dembow riddim: kick every beat, snare on the 'and' of 1 and on 2-and", extra={"rim": "...x..x....x..x."}),
    Groove("dancehall", {"kick": "X..x..x.X..x..x.", "rim": "....x.......x...", "closed_hat": _H8},
           0.1, True, description="dancehall: 3-3-2 kick, rim on 2 and 4", extra={"snare": "...x.......x....", "shaker": _H8}),
)}


#: The groove each genre plays (declared once, on the genre: :data:`~orchestria_lab.music.genres.GENRES`).
STYLE_FOR_GENRE: dict[str, str] = {g.name: g.traits.drums for g in GENRES.values()}

_VELOCITY = {"X": 112, "x": 92, "g": 42}
_QUIET = {"closed_hat": -18, "pedal_hat": -22, "shaker": -24, "ride": -12, "rim": -10, "open_hat": -14}


def style_swing(style: str, genre_swing: float) -> float:
    """The default swing of ``style`` in a session whose genre swings ``genre_swing``."""
    g = GROOVES[style]
    return max(g.swing, genre_swing) if g.swung else g.swing


def groove(*, style: str, time_signature: str, bars: int, rng: np.random.Generator,
           swing_amount: float | None = None, density: float = 0.5, fills: bool = True,
           half_time: bool | None = None, exclude: Iterable[str] = ()) -> list[Note]:
    """A drum part: ``bars`` bars of ``style`` in ``time_signature``, humanised with ``rng``.

    ``swing_amount`` (0..1) delays off-beats (default: the style's); ``density`` 0..1
    thins to the core or adds the busy layer; ``fills`` puts a fill at the end of every
    4-bar phrase (longer, with a crash after, every 8); ``exclude`` drops voices by
    :data:`VOICE_GROUPS` name.
    """
    g = GROOVES[style]
    amount = g.swing if swing_amount is None else float(swing_amount)
    half = g.half_time if half_time is None else half_time
    meter = Meter.of(time_signature)
    bar_len = meter.beats_per_bar
    hits = _bar_hits(g, meter, density, half)
    dropped = set().union(*(VOICE_GROUPS[v] for v in exclude)) if exclude else set()
    unit = 0.25 if g.sixteenths else 0.5
    notes: list[Note] = []
    for bar in range(bars):
        fill_from = _fill_start(bar, bars, meter) if fills else None
        bar_hits = [h for h in hits if fill_from is None or h[1] < fill_from]
        if fill_from is not None:
            bar_hits += _fill(meter, fill_from, rng)
        if g.rolls and density >= 0.3:
            bar_hits = _rolls(bar_hits, meter, rng, density)
        if fills and bar > 0 and bar % 8 == 0:
            bar_hits = [h for h in bar_hits if not (h[1] == 0 and h[0] in ("closed_hat", "ride"))]
            bar_hits.append(("crash", 0.0, "X"))
        for voice, pos, mark in bar_hits:
            pitch = GM_DRUMS[voice]
            if pitch in dropped:
                continue
            notes.append(_humanise(voice, pitch, bar * bar_len, pos, mark, amount, unit, meter, rng))
    return sorted(notes)


def fill_notes(*, style: str, time_signature: str, rng: np.random.Generator, swing_amount: float | None = None,
               density: float = 0.5) -> tuple[float, list[Note]]:
    """A long fill in ``style`` (the one the end of an 8-bar phrase plays), for a bar of its own: where in
    the bar it starts (beats) and its notes from there, in beats from the bar's start."""
    meter = Meter.of(time_signature)
    bar = meter.beats_per_bar
    notes = groove(style=style, time_signature=time_signature, bars=8, rng=rng, swing_amount=swing_amount,
                   density=density, fills=True)
    start = _fill_start(7, 8, meter) or 0.0
    return start, [n._replace(start=round(n.start - 7 * bar, 4)) for n in notes
                   if 7 * bar + start - 1e-6 <= n.start < 8 * bar - 1e-9]


def _bar_hits(g: Groove, meter: Meter, density: float, half: bool) -> list[tuple[str, float, str]]:
    if meter.numerator == 4 and meter.denominator == 4:
        parts = dict(g.parts)
        if density >= 0.67:
            parts.update(g.extra)
        if half and "snare" in parts and not g.half_time:
            parts["snare"] = "........X......."
        hits = [(v, i * 0.25, c) for v, pat in parts.items() for i, c in enumerate(pat) if c != "."]
    else:
        hits = _meter_hits(g, meter, half)
    if density < 0.34:  # the core only: no ghosts, hats on the pulse
        hits = [h for h in hits if h[2] != "g" and not (h[0] in ("closed_hat", "shaker") and h[1] % 1)]
    return hits


def _meter_hits(g: Groove, meter: Meter, half: bool) -> list[tuple[str, float, str]]:
    """A groove in any meter from its pulse groups, keeping the style's instruments."""
    back = next((v for v in ("snare", "clap", "rim") if v in g.parts), None)
    top = next((v for v in ("ride", "closed_hat", "shaker") if v in g.parts), "closed_hat")
    starts = meter.group_starts
    kicks = {starts[0]} | ({meter.strong[-1]} if len(starts) >= 4 else set())
    backbeats = [s for s in starts if s not in kicks]
    if half and backbeats:
        backbeats = [backbeats[len(backbeats) // 2]]
    hits: list[tuple[str, float, str]] = [("kick", s, "X" if s == 0 else "x") for s in sorted(kicks)]
    if back:
        hits += [(back, s, "X") for s in backbeats]
    t = 0.0
    while t < meter.beats_per_bar - 1e-9:
        hits.append((top, t, "x"))
        t += meter.subdivision
    return hits


def _fill_start(bar: int, bars: int, meter: Meter) -> float | None:
    """Where the fill of this bar starts (beats from the bar start), or ``None``."""
    last = bar == bars - 1
    if (bar + 1) % 4 and not last:
        return None
    starts = meter.group_starts
    long_fill = ((bar + 1) % 8 == 0 or (last and bars >= 8)) and len(starts) >= 3
    return starts[-2] if long_fill else starts[-1]


def _fill(meter: Meter, start: float, rng: np.random.Generator) -> list[tuple[str, float, str]]:
    """Sixteenths from ``start`` to the bar end: a snare build or a tom run down the kit."""
    steps = np.arange(start, meter.beats_per_bar - 1e-9, 0.25)
    kind = int(rng.integers(3))
    out = []
    for i, pos in enumerate(steps):
        if kind == 0:
            voice = "snare"
        elif kind == 1:
            voice = ("high_tom", "mid_tom", "low_tom")[min(2, i * 3 // len(steps))]
        else:
            voice = "snare" if i % 2 == 0 else ("high_tom", "low_tom")[i * 2 // len(steps)]
        mark = "X" if i == len(steps) - 1 or i % 4 == 0 else "x"
        out.append((voice, float(pos), mark))
    out.append(("kick", float(steps[0]), "x"))
    return out


def _rolls(hits: list[tuple[str, float, str]], meter: Meter, rng: np.random.Generator,
           density: float) -> list[tuple[str, float, str]]:
    """Trap hats: some beats roll in 16ths or 32nds instead of eighths."""
    out = list(hits)
    for beat in np.arange(0.0, meter.beats_per_bar - 1e-9, 1.0):
        if rng.random() < 0.25 + 0.3 * density:
            out = [h for h in out if not (h[0] == "closed_hat" and beat <= h[1] < beat + 1)]
            step = 0.125 if rng.random() < 0.4 else 0.25
            out += [("closed_hat", float(beat + k * step), "g" if k % 2 else "x")
                    for k in range(int(round(1 / step)))]
    return out


def _humanise(voice: str, pitch: int, bar_start: float, pos: float, mark: str, amount: float,
              unit: float, meter: Meter, rng: np.random.Generator) -> Note:
    vel = _VELOCITY[mark] + _QUIET.get(voice, 0)
    if pos % 1:
        vel -= 6  # off-beats sit back
    elif meter.is_strong(pos):
        vel += 6
    vel = int(np.clip(round(vel + rng.normal(0, 5)), 12, 127))
    jitter = 0.0 if voice in ("kick", "crash") else float(np.clip(rng.normal(0, 0.006), -0.015, 0.015))
    start = max(0.0, bar_start + swing(pos, amount, subdivision=unit) + jitter)
    return Note(pitch, round(start, 4), 0.25 if pos % 0.25 == 0 else 0.125, vel)


def percussion(*, genre: str, time_signature: str, bars: int, rng: np.random.Generator,
               swing_amount: float = 0.0, density: float = 0.5) -> list[Note]:
    """A percussion layer (shaker, tambourine, cowbell) that sits around a drum kit."""
    meter = Meter.of(time_signature)
    step = 0.25 if density >= 0.5 else 0.5
    hits: list[tuple[str, float, str]] = []
    for t in np.arange(0.0, meter.beats_per_bar - 1e-9, step):
        hits.append(("shaker", float(t), "x" if t % 1 == 0 else "g"))
    for s in meter.group_starts[1::2] or meter.group_starts[-1:]:
        hits.append(("tambourine", s, "x"))
    if genre == "latin":
        hits += [("cowbell", s, "x") for s in meter.group_starts]
    notes = []
    for bar in range(bars):
        for voice, pos, mark in hits:
            notes.append(_humanise(voice, GM_DRUMS[voice], bar * meter.beats_per_bar, pos, mark,
                                   swing_amount, 0.5, meter, rng))
    return sorted(notes)


def kick_beats(notes: Sequence[Note]) -> list[float]:
    """The onsets of the kick drum in a drum part, for a bass line to lock to."""
    return sorted({round(n.start, 4) for n in notes if n.pitch in KICKS})


#: The kick's velocity by where it falls: the downbeat, the bar's other strong beat, another beat, an eighth.
_LOCK_VELOCITY = (112, 104, 96, 88)
#: Bass onsets this close (beats) to a grid position are on it (a line played by hand).
_LOCK_TOLERANCE = 0.06


def lock_kicks(drums: Sequence[Note], bass: Sequence[Note], *, time_signature: str, bars: int,
               swing_amount: float = 0.0) -> list[Note]:
    """``drums`` with the kick moved onto ``bass``'s onsets: in each bar the bass plays in, a kick with
    every bass note that starts on the eighth-note grid (straight or swung by ``swing_amount``) and not
    on a backbeat the snare or clap plays, the strongest places first (downbeat, the bar's other strong
    beat, the other beats, the eighths) up to one more than the groove's kicks in a bar; the groove's
    own kicks there go. Bars without bass keep the groove, and every other voice stays as it was.

    >>> groove_notes = [Note(36, 0.0, 0.25, 110), Note(38, 1.0, 0.25, 100), Note(36, 2.5, 0.25, 90),
    ...                 Note(38, 3.0, 0.25, 100), Note(42, 0.5, 0.25, 70)]
    >>> bass_notes = [Note(36, 0.0, 1.5), Note(43, 1.5, 0.5), Note(41, 2.0, 1.0), Note(40, 3.0, 1.0)]
    >>> [(n.pitch, n.start) for n in lock_kicks(groove_notes, bass_notes, time_signature="4/4", bars=1)]
    [(36, 0.0), (42, 0.5), (38, 1.0), (36, 1.5), (36, 2.0), (38, 3.0)]
    """
    meter = Meter.of(time_signature)
    bar_len = meter.beats_per_bar
    kick = next((n.pitch for n in drums if n.pitch in KICKS), GM_DRUMS["kick"])
    per_bar = [sum(1 for n in drums if n.pitch in KICKS and b * bar_len <= n.start < (b + 1) * bar_len)
               for b in range(bars)]
    most = max(2, int(np.median(per_bar)) + 1) if per_bar else 2
    out = list(drums)
    for b in range(bars):
        lo, hi = b * bar_len, (b + 1) * bar_len
        onsets = sorted({round(n.start, 4) for n in bass if lo - _LOCK_TOLERANCE / 2 <= n.start < hi - _LOCK_TOLERANCE / 2})
        if not onsets:
            continue
        backbeats = [n.start - lo for n in drums if n.pitch in SNARES and lo <= n.start < hi]
        placed = []
        for t in onsets:
            rank = _lock_rank(t - lo, meter, swing_amount)
            if rank is None or (rank > 0 and any(abs(t - lo - s) <= _LOCK_TOLERANCE for s in backbeats)):
                continue
            placed.append((rank, t))
        chosen = sorted(placed)[:most]
        out = [n for n in out if not (n.pitch in KICKS and lo - 1e-9 <= n.start < hi - 1e-9)]
        out += [Note(kick, max(0.0, t), 0.25, _LOCK_VELOCITY[rank]) for rank, t in chosen]
    return sorted(out, key=lambda n: (n.start, n.pitch))


def _lock_rank(position: float, meter: Meter, swing_amount: float) -> int | None:
    """How strong ``position`` (beats into a bar) is for a kick: 0 the downbeat, 1 another strong beat,
    2 another beat, 3 an eighth (straight or swung); ``None`` off the eighth-note grid."""
    def near(x: float) -> bool:
        return abs(position - x) <= _LOCK_TOLERANCE or abs(position - x - meter.beats_per_bar) <= _LOCK_TOLERANCE

    if near(0.0):
        return 0
    if any(near(s) for s in meter.strong):
        return 1
    if any(near(s) for s in meter.group_starts):
        return 2
    eighths = np.arange(0.0, meter.beats_per_bar, meter.subdivision)
    if any(near(e) or near(swing(float(e), swing_amount)) for e in eighths):
        return 3
    return None
