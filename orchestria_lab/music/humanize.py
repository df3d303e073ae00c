"""A part played by a person: timing a few milliseconds off the grid, accents that follow the
meter, ghost notes and a hi-hat that breathes, seeded so the same take comes back.

How a player sits against the grid is data: :data:`SPREAD_MS` (how far notes stray, by where
they fall in the bar: a downbeat is placed with care, an off-beat sixteenth less so, a ghost
note least), :data:`ACCENT` (how hard each place in the bar is played), and :data:`FEEL_MS`
(where a genre sits against the beat: lo-fi and hip-hop lay back, punk and drum-and-bass push).
``amount`` scales all of it: 0.5 is "a little", 1 the default, 2 "a lot". The grid part stays
the source: a generator plays its pattern, snaps it to its own grid (:func:`on_grid`: this
player's feel replaces the few ms a groove is written with) and plays it through this
(``params["humanize"]``), so "quantize" (amount 0) gives the grid exactly.

>>> from orchestria_lab.music.notes import Note
>>> hats = [Note(42, b / 2, 0.25, 90) for b in range(8)]
>>> played = humanize(hats, bpm=100, beats_per_bar=4, genre="hip-hop", drums=True, amount=1.0, seed=1)
>>> all(abs(p.start - h.start) * 60000 / 100 <= MAX_MS for p, h in zip(played, hats))   # a few ms, never more
True
>>> played == humanize(hats, bpm=100, beats_per_bar=4, genre="hip-hop", drums=True, amount=1.0, seed=1)
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from orchestria_lab.music.genres import GENRES, normalize_genre
from orchestria_lab.music.notes import Note
from orchestria_lab.music.rhythm import swing

#: Spread (standard deviation, ms) of a note's timing by where it falls (a player anchors the downbeat, yet
#: no one holds it to 2 ms: at that spread a bass line on the beats hardly moved, its median 2 ms or less one
#: time in nine).
SPREAD_MS = {"downbeat": 4.0, "beat": 4.5, "eighth": 5.0, "sixteenth": 6.0, "ghost": 8.0}
#: How hard each place is played, against the part as written (a velocity factor at amount 1).
ACCENT = {"downbeat": 1.12, "beat": 1.05, "eighth": 0.93, "sixteenth": 0.84}
#: Where a genre sits against the beat (ms; + behind it, laid back; - ahead, pushing).
FEEL_MS = {
    "lo-fi": 9.0, "hip-hop": 7.0, "rnb": 6.0, "gospel": 5.0, "soul": 5.0, "reggae": 6.0, "dancehall": 4.0,
    "jazz": 3.0, "blues": 4.0, "funk": 2.0, "bossa-nova": 2.0, "afrobeats": 2.0,
    "rock": -2.0, "metal": -3.0, "punk": -5.0, "drum-and-bass": -3.0, "country": -1.0,
}
#: No note moves further than this from where it was written.
MAX_MS = 25.0
#: Velocity jitter (a factor's standard deviation at amount 1).
JITTER = 0.06
#: Drums: the snare voices a ghost note is played on, and how likely one is at each free place.
_SNARES = (37, 38, 40)
_GHOST_CHANCE = 0.35
_HATS = (42, 44, 46)


def place(start: float, beats_per_bar: float) -> str:
    """Where in the bar a note falls: ``downbeat``, ``beat``, ``eighth`` or ``sixteenth`` (a swung
    off-beat counts as the off-beat it was swung from)."""
    quarter = round(start * 4) / 4
    if abs(quarter % beats_per_bar) < 1e-6:
        return "downbeat"
    frac = quarter % 1.0
    return "beat" if frac < 1e-6 else "eighth" if abs(frac - 0.5) < 1e-6 else "sixteenth"


def feel_ms(genre: str) -> float:
    """How far behind (+) or ahead (-) of the beat ``genre`` is played, in ms (its base genre's if
    it has none of its own)."""
    info = GENRES[normalize_genre(genre)]
    return FEEL_MS.get(info.name, FEEL_MS.get(info.base, 0.0))


def ghost_notes(notes: Sequence[Note], *, beats_per_bar: float, total_beats: float,
                rng: np.random.Generator, amount: float) -> list[Note]:
    """Quiet snare strokes on the sixteenths around each backbeat where nothing plays: before it
    (the "a" of the beat before) and after it (the "e" after)."""
    snares = [n for n in notes if n.pitch in _SNARES and n.velocity >= 70 and place(n.start, beats_per_bar) == "beat"]
    taken = {round(n.start * 4) for n in notes if n.pitch in _SNARES}
    chance = min(0.7, _GHOST_CHANCE * amount)
    out = []
    for hit in snares:
        for at in (hit.start - 0.25, hit.start + 0.25, hit.start + 0.75):
            if 0 <= at < total_beats and round(at * 4) not in taken and rng.random() < chance:
                taken.add(round(at * 4))
                out.append(Note(hit.pitch, round(at, 4), 0.125, int(rng.integers(22, 44))))
    return out


def on_grid(notes: Sequence[Note], *, swing_amount: float = 0.0) -> tuple[Note, ...]:
    """``notes`` snapped to the part's own grid: straight 32nds, triplets, and the eighths and
    sixteenths as its swing places them, each note to the nearest (what "quantize" means; a part
    written on that grid comes back as it was).

    >>> on_grid([Note(38, 0.9961, 0.25, 100), Note(42, 0.5917, 0.25, 80)], swing_amount=0.55)
    (Note(pitch=38, start=1.0, duration=0.25, velocity=100), Note(pitch=42, start=0.5917, duration=0.25, velocity=80))
    """
    out = []
    for note in notes:
        beat = np.floor(note.start)
        candidates = [beat + k / 8 for k in range(9)] + [beat + k / 6 for k in range(7)]
        if swing_amount > 0:
            candidates += [swing(beat + k / 4, swing_amount, subdivision=sub) for k in range(5) for sub in (0.25, 0.5)]
        nearest = min(candidates, key=lambda c: abs(c - note.start))
        out.append(note._replace(start=round(float(nearest), 4)))
    return tuple(out)


def humanize(notes: Sequence[Note], *, bpm: float, beats_per_bar: float, genre: str, drums: bool,
             amount: float, seed: int, total_beats: float | None = None) -> tuple[Note, ...]:
    """``notes`` as a player would play them (see the module's text); ``amount`` 0 returns them as written."""
    if amount <= 0 or not notes:
        return tuple(notes)
    rng = np.random.default_rng([seed, 0x4855])  # its own stream: the part's other draws stay as they were
    total = total_beats if total_beats is not None else max(n.start + n.duration for n in notes)
    ghosts = ghost_notes(notes, beats_per_bar=beats_per_bar, total_beats=total, rng=rng, amount=amount) if drums else []
    per_ms = bpm / 60000.0
    push = feel_ms(genre) * min(amount, 1.5)
    by_onset: dict[float, float] = {}  # the notes of a chord are struck together, give or take a little
    out = []
    for note in [*notes, *ghosts]:
        where = "ghost" if note in ghosts else place(note.start, beats_per_bar)
        spread = SPREAD_MS[where] * amount
        if drums:
            offset = push + rng.normal(0.0, spread)
        else:
            shared = by_onset.setdefault(note.start, push + rng.normal(0.0, spread))
            offset = shared + rng.normal(0.0, 1.0) * min(amount, 1.5)
        offset = float(np.clip(offset, -MAX_MS, MAX_MS))
        start = max(0.0, note.start + offset * per_ms)
        velocity = note.velocity
        if where != "ghost":
            accent = 1.0 + amount * (ACCENT[where] - 1.0) * (1.25 if note.pitch in _HATS and drums else 1.0)
            velocity = note.velocity * accent * (1.0 + rng.normal(0.0, JITTER * amount))
        out.append(Note(note.pitch, round(start, 5), note.duration, int(np.clip(round(velocity), 1, 127))))
    return tuple(sorted(out, key=lambda n: (n.start, n.pitch)))
