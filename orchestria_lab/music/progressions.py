"""Chord progressions per genre, voicings with voice leading, and comping rhythms.

Progressions are written as scale degrees with a chord kind, so every template stays in
the session's key and mode (C minor, D dorian, F# major ...):

- ``"7"`` and ``"9"`` are the diatonic seventh and ninth chords (a ninth only where the
  ninth is a major ninth, else the seventh), ``"triad"`` the diatonic triad;
- ``"dom7"`` is the dominant seventh on the degree (the raised leading tone of V7 in
  minor: the one chromatic chord tone the templates use on purpose), ``"5"`` a power
  chord, ``"sus2"``/``"sus4"``/``"add9"`` colour chords.

>>> from orchestria_lab.music.theory import parse_key
>>> import numpy as np
>>> prog = progression(key="Cm", genre="lo-fi", time_signature="4/4", bars=4,
...                    rng=np.random.default_rng(0))
>>> [(start, dur) for start, dur, _ in prog]
[(0.0, 4.0), (4.0, 4.0), (8.0, 4.0), (12.0, 4.0)]
>>> all(len(c.intervals) >= 4 for _, _, c in prog)   # lo-fi: sevenths and ninths
True
>>> make_chord(parse_key("Cm"), 5, "dom7").symbol, make_chord(parse_key("C"), 2, "9").symbol
('G7', 'Dm9')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from orchestria_lab.music.genres import GENRES
from orchestria_lab.music.rhythm import Meter
from orchestria_lab.music.theory import Chord, Key, parse_key

#: One chord of a template: (scale degree 1-7, kind, length in bars).
Step = tuple[int, str, float]
#: A chord as it sounds: (start beat, duration in beats, chord).
TimedChord = tuple[float, float, Chord]


def _t(*chords: tuple) -> tuple[Step, ...]:
    return tuple((c[0], c[1], c[2] if len(c) > 2 else 1.0) for c in chords)


#: Progression families: {"major": [...], "minor": [...]}; each template loops over the bars.
FAMILIES: dict[str, dict[str, tuple[tuple[Step, ...], ...]]] = {
    "jazzy": {  # lo-fi, r&b, liquid dnb: sevenths and ninths, ii-V motion, Royal Road
        "major": (
            _t((2, "9"), (5, "9"), (1, "9"), (6, "7")),
            _t((4, "9"), (5, "9"), (3, "7"), (6, "9")),
            _t((1, "9"), (6, "9"), (2, "9"), (5, "9")),
            _t((4, "9"), (3, "7"), (2, "9"), (5, "9")),
        ),
        "minor": (
            _t((1, "9"), (4, "9"), (7, "9"), (3, "9")),
            _t((2, "7"), (5, "dom7"), (1, "9"), (1, "9")),
            _t((1, "9"), (6, "9"), (2, "7"), (5, "dom7")),
            _t((6, "9"), (5, "7"), (1, "9"), (4, "9")),
        ),
    },
    "jazz": {  # ii-V-I with two chords a bar
        "major": (
            _t((2, "7", 0.5), (5, "9", 0.5), (1, "9"), (6, "7", 0.5), (2, "7", 0.5), (5, "9")),
            _t((1, "9"), (6, "7"), (2, "9", 0.5), (5, "9", 0.5), (1, "9")),
            _t((3, "7", 0.5), (6, "7", 0.5), (2, "9", 0.5), (5, "9", 0.5), (1, "9"), (1, "9")),
        ),
        "minor": (
            _t((2, "7", 0.5), (5, "dom7", 0.5), (1, "9"), (4, "9"), (5, "dom7")),
            _t((1, "9"), (6, "9"), (2, "7", 0.5), (5, "dom7", 0.5), (1, "9")),
        ),
    },
    "house": {  # minor-7 stabs
        "major": (_t((2, "7"), (3, "7"), (6, "7"), (3, "7")), _t((6, "7"), (2, "7"), (6, "7"), (3, "7"))),
        "minor": (_t((1, "7"), (4, "7"), (5, "7"), (4, "7")), _t((1, "7"), (1, "7"), (4, "7"), (5, "7"))),
    },
    "techno": {
        "major": (_t((6, "7"), (6, "7"), (4, "7"), (5, "triad")),),
        "minor": (_t((1, "7"), (1, "7"), (6, "7"), (7, "triad")), _t((1, "sus2"), (1, "sus2"), (4, "7"), (1, "sus2"))),
    },
    "pop": {  # the I-V-vi-IV family
        "major": (
            _t((1, "triad"), (5, "triad"), (6, "triad"), (4, "triad")),
            _t((6, "triad"), (4, "triad"), (1, "triad"), (5, "triad")),
            _t((1, "triad"), (6, "triad"), (4, "triad"), (5, "triad")),
            _t((4, "triad"), (1, "triad"), (5, "triad"), (6, "triad")),
        ),
        "minor": (
            _t((1, "triad"), (6, "triad"), (3, "triad"), (7, "triad")),
            _t((6, "triad"), (7, "triad"), (1, "triad"), (1, "triad")),
            _t((1, "triad"), (4, "triad"), (6, "triad"), (5, "dom7")),
        ),
    },
    "edm": {
        "major": (_t((6, "triad"), (4, "triad"), (1, "triad"), (5, "triad")), _t((4, "add9"), (5, "triad"), (6, "triad"), (6, "triad"))),
        "minor": (_t((1, "triad"), (6, "triad"), (3, "triad"), (7, "triad")), _t((6, "add9"), (7, "triad"), (1, "triad"), (1, "triad"))),
    },
    "rock": {  # triads and power chords
        "major": (
            _t((1, "5"), (4, "5"), (5, "5"), (4, "5")),
            _t((1, "triad"), (5, "triad"), (6, "triad"), (4, "triad")),
            _t((1, "5"), (1, "5"), (4, "5"), (5, "5")),
        ),
        "minor": (
            _t((1, "5"), (6, "5"), (7, "5"), (1, "5")),
            _t((1, "triad"), (7, "triad"), (6, "triad"), (7, "triad")),
            _t((1, "5"), (3, "5"), (4, "5"), (6, "5")),
        ),
    },
    "hiphop": {
        "major": (_t((1, "7"), (6, "7"), (4, "7"), (5, "7")), _t((2, "7"), (5, "7"), (1, "7"), (1, "7"))),
        "minor": (_t((1, "7"), (4, "7"), (6, "7"), (5, "7")), _t((1, "triad"), (6, "triad"), (1, "triad"), (7, "triad"))),
    },
    "trap": {
        "major": (_t((6, "triad"), (4, "triad"), (1, "triad"), (5, "triad")),),
        "minor": (_t((1, "triad"), (1, "triad"), (6, "triad"), (5, "dom7")), _t((1, "triad"), (6, "triad"), (4, "triad"), (5, "triad"))),
    },
    "funk": {  # dominant ninths
        "major": (_t((1, "dom9"), (1, "dom9"), (4, "dom9"), (1, "dom9")),),
        "minor": (_t((1, "9"), (1, "9"), (4, "9"), (1, "9")), _t((1, "7"), (4, "7"), (1, "7"), (5, "7"))),
    },
    "ambient": {  # colour chords, two bars each
        "major": (_t((1, "add9", 2), (4, "add9", 2), (6, "7", 2), (5, "sus4", 2)),),
        "minor": (_t((1, "add9", 2), (6, "add9", 2), (3, "triad", 2), (7, "sus2", 2)),),
    },
    "reggae": {
        "major": (_t((1, "triad"), (4, "triad"), (5, "triad"), (4, "triad")),),
        "minor": (_t((1, "triad"), (4, "triad"), (1, "triad"), (5, "triad")),),
    },
    "latin": {
        "major": (_t((1, "triad"), (4, "triad"), (5, "dom7"), (1, "triad")),),
        "minor": (_t((1, "triad"), (4, "triad"), (5, "dom7"), (1, "triad")), _t((1, "7"), (4, "7"), (7, "7"), (3, "7"))),
    },
    "blues": {  # the 12-bar blues, dominant sevenths (minor: m7 on i and iv, V7)
        "major": (_t(*((d, "dom7") for d in (1, 4, 1, 1, 4, 4, 1, 1, 5, 4, 1, 5))),),
        "minor": (_t(*((d, "dom7" if d == 5 else "7") for d in (1, 4, 1, 1, 4, 4, 1, 1, 5, 4, 1, 5))),),
    },
    "folk": {
        "major": (_t((1, "triad"), (4, "triad"), (1, "triad"), (5, "triad")), _t((1, "triad"), (5, "triad"), (6, "triad"), (4, "triad"))),
        "minor": (_t((1, "triad"), (7, "triad"), (6, "triad"), (7, "triad")), _t((1, "triad"), (4, "triad"), (1, "triad"), (5, "dom7"))),
    },
}

#: The settings of a harmony stem that define the chords it plays: a part that follows the chords
#: records them, and is stale once they change (State.stale).
PROGRESSION_PARAMS = ("progression_seed", "style", "chord_plan")

#: Chord kinds with a seventh or more above the triad.
EXTENDED_KINDS = frozenset({"7", "9", "dom7", "dom9"})
#: The family asked for when someone wants sevenths and ninths in a style of triads.
EXTENDED_FAMILY = "jazzy"


def extended(family: str) -> bool:
    """Whether ``family``'s progressions use sevenths and ninths (read from its templates).

    >>> extended("jazzy"), extended("rock")
    (True, False)
    """
    templates = [step for mode in FAMILIES[family].values() for t in mode for step in t]
    return sum(kind in EXTENDED_KINDS for _, kind, _ in templates) > len(templates) / 2


#: Which family each genre's harmony comes from (declared on the genre).
GENRE_FAMILY: dict[str, str] = {g.name: g.traits.harmony for g in GENRES.values()}

_KIND_INTERVALS = {
    "5": (0, 7), "sus2": (0, 2, 7), "sus4": (0, 5, 7),
    "dom7": (0, 4, 7, 10), "dom9": (0, 4, 7, 10, 14),
}


def make_chord(key: Key, degree: int, kind: str) -> Chord:
    """The chord of ``kind`` on scale ``degree`` of ``key`` (see the module docstring)."""
    root = key.degree_pc(degree)
    flats = spelled_with_flats(key)
    if kind in _KIND_INTERVALS:
        return Chord(root, _KIND_INTERVALS[kind], flats)
    if kind == "triad":
        intervals = key.chord(degree).intervals
    elif kind == "7":
        intervals = key.chord(degree, seventh=True).intervals
    elif kind == "9":
        intervals = key.chord(degree, ninth=True).intervals
        if intervals[-1] != 14:
            intervals = intervals[:-1]
    elif kind == "add9":
        intervals = key.chord(degree).intervals
        if (key.degree_pc(degree + 1) - root) % 12 == 2:
            intervals += (14,)
    else:
        raise ValueError(f"unknown chord kind {kind!r}")
    return Chord(root, intervals, flats)


def spelled_with_flats(key: Key) -> bool:
    """Whether chords in ``key`` are named with flats (C minor: Ab, Bb; E major: G#).

    ``Key.flats`` reads the tonic's own spelling, so ``Cm`` (tonic ``C``) would name its
    chords with sharps; the key signature (the relative major) decides here.

    >>> spelled_with_flats(parse_key("Cm")), spelled_with_flats(parse_key("E")), spelled_with_flats(parse_key("Gb"))
    (True, False, True)
    """
    if key.spelled and len(key.spelled) > 1:
        return key.spelled.endswith("b")
    return Key(key.tonic_pc, key.mode).flats


def family_for(genre: str, style: str | None = None) -> str:
    """The progression family of ``style`` if it names one, else the genre's."""
    if style in FAMILIES:
        return style
    return GENRE_FAMILY.get(genre, "pop")


def progression(*, key: str | Key, genre: str, time_signature: str, bars: int,
                rng: np.random.Generator, style: str | None = None) -> list[TimedChord]:
    """A looped chord progression over ``bars`` bars: ``[(start_beat, duration_beats, Chord)]``.

    The template is drawn from the genre's family with ``rng``; harmonic rhythm follows the
    template (one chord a bar, two in jazz turnarounds, two bars in ambient), in any meter.
    """
    key = parse_key(key) if isinstance(key, str) else key
    family = FAMILIES[family_for(genre, style)]
    templates = family["minor" if key.is_minor else "major"]
    template = templates[int(rng.integers(len(templates)))]
    bar = Meter.of(time_signature).beats_per_bar
    total = bars * bar
    out: list[TimedChord] = []
    t, i = 0.0, 0
    while t < total - 1e-9:
        degree, kind, length = template[i % len(template)]
        dur = min(length * bar, total - t)
        out.append((t, dur, make_chord(key, degree, kind)))
        t += dur
        i += 1
    return out


def written(plan: Sequence[Mapping[str, Any]], base: Sequence[TimedChord], *, key: str | Key,
            time_signature: str, bars: int) -> list[TimedChord]:
    """``base`` with the chords the user wrote laid over it, one plan entry at a time (a later one
    wins where they overlap). An entry is ``{"chords": [...], "bars": bars per chord, "first": first
    bar, "last": last bar (0: to the song's end), "key": the key they were written in}``, or with
    ``"beats": [...]`` instead of ``"bars"``, how long each chord lasts in beats (chords fitted to a
    melody change where it asks); its chords repeat over its bars and move with the key when the song
    changes key.

    >>> plan = [{"chords": ["Am", "F", "C", "G"], "bars": 1, "first": 1, "last": 0, "key": "C"}]
    >>> [(s, c.symbol) for s, _, c in written(plan, [], key="C", time_signature="4/4", bars=6)]
    [(0.0, 'Am'), (4.0, 'F'), (8.0, 'C'), (12.0, 'G'), (16.0, 'Am'), (20.0, 'F')]
    >>> [(s, c.symbol) for s, _, c in written(plan, [], key="D", time_signature="4/4", bars=2)]
    [(0.0, 'Bm'), (4.0, 'G')]
    >>> fitted = [{"chords": ["C", "G7"], "beats": [6, 2], "first": 1, "last": 0, "key": "C"}]
    >>> [(s, d, c.symbol) for s, d, c in written(fitted, [], key="C", time_signature="4/4", bars=4)]
    [(0.0, 6.0, 'C'), (6.0, 2.0, 'G7'), (8.0, 6.0, 'C'), (14.0, 2.0, 'G7')]
    """
    from orchestria_lab.music.chords import parse_chord

    key = parse_key(key) if isinstance(key, str) else key
    bar = Meter.of(time_signature).beats_per_bar
    total = bars * bar
    out = list(base)
    for entry in plan:
        start = (int(entry["first"]) - 1) * bar
        end = min(total, (int(entry["last"]) or bars) * bar)
        if start >= end:
            continue
        shift = key.tonic_pc - parse_key(str(entry["key"])).tonic_pc
        chords = [_moved(parse_chord(str(c), key=str(entry["key"])), shift, spelled_with_flats(key))
                  for c in entry["chords"]]
        steps = [float(b) for b in entry["beats"]] if "beats" in entry else [float(entry.get("bars", 1)) * bar]
        laid: list[TimedChord] = []
        t, i = start, 0
        while t < end - 1e-9:
            step = steps[i % len(steps)]
            laid.append((t, min(step, end - t), chords[i % len(chords)]))
            t, i = t + step, i + 1
        kept = [(a, b - a, c) for s, d, c in out for a, b in ((s, min(s + d, start)), (max(s, end), s + d)) if b - a > 1e-9]
        out = sorted(kept + laid, key=lambda x: x[0])
    return out


def _moved(chord: Chord, semitones: int, flats: bool) -> Chord:
    """``chord`` ``semitones`` higher (its bass too), spelled for the key it now sits in."""
    if not semitones % 12:
        return chord
    bass = None if chord.bass is None else (chord.bass + semitones) % 12
    return replace(chord, root=(chord.root + semitones) % 12, bass=bass, flats=flats)


def chord_at(chords: Sequence[TimedChord], beat: float) -> Chord | None:
    """The chord sounding at ``beat`` (``None`` before the first or after the last)."""
    for start, dur, chord in chords:
        if start - 1e-6 <= beat < start + dur - 1e-6:
            return chord
    return None


def voicings(chord: Chord, *, low: int, high: int, style: str = "close") -> list[list[int]]:
    """Candidate voicings of ``chord`` inside ``[low, high]``, lowest note first.

    ``close``: every inversion in close position (the fifth is left out of five-note
    chords, as pianists do); ``open``: drop-2 of each close voicing; ``power``: root,
    fifth and octave; ``shell``: root, third and seventh (jazz left hand).
    """
    pcs = list(chord.intervals)
    if style == "power" or chord.intervals == (0, 7):
        shapes = [[0, 7, 12]]
    elif style == "shell" and len(pcs) >= 4:
        shapes = [[0, pcs[1], pcs[3]]]
    else:
        tones = list(pcs)
        if len(tones) >= 5 and 7 in tones and not chord.written:  # a chord the user wrote keeps every tone
            tones.remove(7)
        shapes = [sorted(tones[r:] + [t + 12 for t in tones[:r]]) for r in range(len(tones))]
        if style == "open":
            shapes = [sorted([s[-2] - 12] + s[:-2] + s[-1:]) if len(s) >= 4 else s for s in shapes]
    out = []
    for shape in shapes:
        for octave in range(0, 10):
            notes = [chord.root + 12 * octave + s for s in shape]
            if chord.bass is not None:  # a slash chord: its bass note under the voicing
                notes = [notes[0] - 1 - (notes[0] - 1 - chord.bass) % 12, *notes]
            if notes[0] >= low and notes[-1] <= high:
                out.append(notes)
    return out


def voice_lead(chords: Sequence[Chord], *, low: int, high: int, style: str = "close",
               rng: np.random.Generator, center: float | None = None) -> list[list[int]]:
    """One voicing per chord, each chosen to move the voices as little as possible.

    The first voicing is drawn with ``rng`` among those near ``center``; each next one
    minimises the total movement from the previous (each voice to its nearest neighbour),
    with a pull towards ``center`` so the part does not drift out of its register.
    """
    center = (low + high) / 2 if center is None else center
    out: list[list[int]] = []
    prev: list[int] | None = None
    for chord in chords:
        cands = voicings(chord, low=low, high=high, style=style) or voicings(
            chord, low=low - 12, high=high + 12, style=style)
        if not cands:
            cands = [chord.pitches(around=int(center))]
        if prev is None:
            cands.sort(key=lambda v: abs(float(np.mean(v)) - center))
            pick = cands[int(rng.integers(min(2, len(cands))))]
        else:
            pick = min(cands, key=lambda v: _movement(prev, v) + 0.35 * abs(float(np.mean(v)) - center))
        out.append(pick)
        prev = pick
    return out


def _movement(a: Sequence[int], b: Sequence[int]) -> float:
    return float(sum(min(abs(x - y) for y in a) for x in b) + sum(min(abs(x - y) for y in b) for x in a))


#: Comping patterns for one 4/4 bar: (onset, duration) in beats.
COMPING: dict[str, tuple[tuple[float, float], ...]] = {
    "sustain": ((0.0, 4.0),),
    "halves": ((0.0, 2.0), (2.0, 2.0)),
    "lofi": ((0.0, 1.5), (1.5, 2.5)),
    "charleston": ((0.0, 1.5), (1.5, 0.5), (3.5, 0.5)),
    "stabs": ((0.5, 0.25), (1.5, 0.25), (2.5, 0.25), (3.5, 0.25)),
    "eighths": tuple((i * 0.5, 0.45) for i in range(8)),
    "quarters": tuple((float(i), 0.9) for i in range(4)),
    "pop": ((0.0, 1.5), (1.5, 1.0), (2.5, 1.5)),
    "skank": ((1.0, 0.4), (3.0, 0.4)),
    "funk": ((0.0, 0.25), (0.75, 0.25), (1.5, 0.25), (2.25, 0.25), (3.0, 0.25), (3.5, 0.25)),
}

#: Comping patterns per family, sparse to busy.
FAMILY_COMPING: dict[str, tuple[str, ...]] = {
    "jazzy": ("sustain", "lofi", "charleston"), "jazz": ("halves", "charleston", "charleston"),
    "house": ("halves", "stabs", "stabs"), "techno": ("sustain", "stabs", "stabs"),
    "pop": ("halves", "pop", "quarters"), "edm": ("sustain", "pop", "eighths"),
    "rock": ("halves", "eighths", "eighths"), "hiphop": ("sustain", "lofi", "pop"),
    "trap": ("sustain", "halves", "halves"), "funk": ("halves", "funk", "funk"),
    "ambient": ("sustain", "sustain", "halves"), "reggae": ("halves", "skank", "skank"),
    "latin": ("halves", "charleston", "pop"), "folk": ("halves", "quarters", "pop"),
}


def comping_pattern(family: str, time_signature: str, *, density: float) -> tuple[tuple[float, float], ...]:
    """The comping rhythm of one bar for ``family`` and ``density`` (0 sparse .. 1 busy).

    4/4 uses the genre's named patterns; other meters hit each pulse group, held for a
    sparse part, short for a busy one.
    """
    names = FAMILY_COMPING.get(family, ("sustain", "halves", "quarters"))
    name = names[min(2, int(density * 3))]
    if time_signature == "4/4":
        return COMPING[name]
    meter = Meter.of(time_signature)
    if name == "sustain":
        return ((0.0, meter.beats_per_bar),)
    if density < 0.67:
        return tuple(zip(meter.strong, _spans(meter.strong, meter.beats_per_bar), strict=True))
    return tuple((s, max(0.25, length * 0.8)) for s, length in zip(meter.group_starts, meter.group_lengths, strict=True))


def _spans(starts: Sequence[float], bar: float) -> list[float]:
    ends = list(starts[1:]) + [bar]
    return [e - s for s, e in zip(starts, ends, strict=True)]
