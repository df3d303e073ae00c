"""Melodic lines over chords: melodies, leads, hooks, arpeggios, and bass lines.

The melody rules are the ones taught in any counterpoint or songwriting class: chord tones
on strong beats, mostly stepwise motion with the occasional leap recovered by a step the
other way, two-bar phrases where an answer repeats the call's opening and resolves home,
and a range that fits the instrument. Bass lines play the chord root on every chord
change, fifths and octaves on the kick hits in between, and approach the next root by a
half or whole step.

>>> import numpy as np
>>> from orchestria_lab.music.progressions import progression
>>> chords = progression(key="Cm", genre="lo-fi", time_signature="4/4", bars=4, rng=np.random.default_rng(1))
>>> bass = bass_line(key="Cm", genre="lo-fi", time_signature="4/4", bars=4, chords=chords,
...                  kick_beats=[0.0, 2.5, 4.0, 6.5], low=28, high=55, rng=np.random.default_rng(2))
>>> all(any(n.start == s and n.pitch % 12 == c.root for n in bass) for s, _, c in chords)
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from orchestria_lab.music.genres import GENRES
from orchestria_lab.music.notes import Note
from orchestria_lab.music.progressions import TimedChord, chord_at
from orchestria_lab.music.rhythm import Meter, swing
from orchestria_lab.music.theory import Chord, Key, parse_key

#: Rhythm cells for one pulse group, by group length in beats: (onset, duration) in beats.
_CELLS: dict[float, tuple[tuple[tuple[float, float], ...], ...]] = {
    2.0: (((0, 2),), ((0, 1), (1, 1)), ((0, 1.5), (1.5, 0.5)), ((0, 1), (1, 0.5), (1.5, 0.5)),
          ((0, 0.5), (0.5, 0.5), (1, 1)), ((0.5, 0.5), (1, 1)), ((0, 0.5), (0.5, 1), (1.5, 0.5)),
          ((0, 0.5), (0.5, 0.5), (1, 0.5), (1.5, 0.5))),
    1.5: (((0, 1.5),), ((0, 1), (1, 0.5)), ((0, 0.5), (0.5, 1)), ((0, 0.5), (0.5, 0.5), (1, 0.5))),
    1.0: (((0, 1),), ((0, 0.5), (0.5, 0.5)), ((0, 0.75), (0.75, 0.25)), ((0.5, 0.5),)),
}


def chord_scale(key: Key, chord: Chord | None) -> list[int]:
    """The key's scale with the chord's chromatic tones put in (G7 in C minor: B, not Bb).

    >>> from orchestria_lab.music.theory import parse_key
    >>> chord_scale(parse_key("Cm"), Chord(7, (0, 4, 7, 10)))
    [0, 2, 3, 5, 7, 8, 11]
    """
    scale = list(key.scale)
    if chord is None:
        return sorted(scale)
    tones = chord.pitch_classes
    for pc in tones:
        if pc in scale:
            continue
        # the altered degree is the neighbour that is not the tonic and that clashes with the chord
        neighbours = [s for s in scale if (s - pc) % 12 in (1, 11)]
        if not neighbours:
            continue

        def keep(s: int, pc: int = pc) -> int:
            clashes = any((s - c) % 12 in (1, 11) for c in tones if c != pc)
            return 2 * (s == key.tonic_pc) + (not clashes)

        scale[scale.index(min(neighbours, key=keep))] = pc
    return sorted(set(scale))


def melodic_tones(key: Key, chord: Chord | None) -> tuple[int, ...]:
    """Pitch classes a melody may land on over ``chord``: its tones, plus the diatonic third a
    power chord leaves open (the melody supplies it, as rock singers do).

    >>> from orchestria_lab.music.theory import parse_key
    >>> melodic_tones(parse_key("Em"), Chord(4, (0, 7)))
    (4, 11, 7)
    """
    if chord is None:
        return key.scale
    if chord.intervals != (0, 7):
        return chord.pitch_classes
    third = next((pc for pc in key.scale if (pc - chord.root) % 12 in (3, 4)), (chord.root + 4) % 12)
    return (*chord.pitch_classes, third)


def _pitches(pcs: Sequence[int], low: int, high: int) -> list[int]:
    pcs = set(p % 12 for p in pcs)
    return [p for p in range(low, high + 1) if p % 12 in pcs]


def _group_grid(meter: Meter) -> list[tuple[float, float]]:
    """Pulse groups of a bar for melody rhythm: 4/4 in halves, others by their groups."""
    if meter.numerator == 4 and meter.denominator == 4:
        return [(0.0, 2.0), (2.0, 2.0)]
    return list(zip(meter.group_starts, meter.group_lengths, strict=True))


def _rhythm(meter: Meter, bars: int, density: float, rng: np.random.Generator) -> list[tuple[float, float]]:
    out = []
    for bar in range(bars):
        for start, length in _group_grid(meter):
            cells = _CELLS.get(length) or tuple(tuple((o * length / 2, d * length / 2) for o, d in c) for c in _CELLS[2.0])
            # density picks from the sparse or the busy end of the cell list
            lo = int(density * (len(cells) - 2))
            cell = cells[min(len(cells) - 1, lo + int(rng.integers(3)))]
            out += [(bar * meter.beats_per_bar + start + o, d) for o, d in cell]
    return out


def melody_line(*, key: str | Key, genre: str, time_signature: str, bars: int,
                chords: Sequence[TimedChord], low: int, high: int, rng: np.random.Generator,
                style: str = "melody", density: float = 0.5, swing_amount: float = 0.0) -> list[Note]:
    """A melody (or ``lead``, ``hook``, ``arp``) over ``chords`` within ``[low, high]``.

    Call-and-response in two-bar phrases: each answer repeats its call's rhythm and
    opening and resolves to the tonic (the last note of the piece too).
    """
    key = parse_key(key) if isinstance(key, str) else key
    meter = Meter.of(time_signature)
    if style == "arp":
        return arpeggio(chords=chords, low=low, high=high, rng=rng, density=density, swing_amount=swing_amount)
    if style == "hook":
        phrase_bars, density = 1, max(density, 0.6)
    else:
        phrase_bars = 2 if bars >= 2 else 1
    if style == "lead":
        density = max(density, 0.6)
    bar = meter.beats_per_bar
    # each phrase's rhythm (relative to its start) and pitches, for the answers to echo
    calls: dict[int, tuple[list[tuple[float, float]], list[int]]] = {}
    notes: list[Note] = []
    prev = _start_pitch(key, chords, low, high, rng)
    for p, phrase_start in enumerate(range(0, bars, phrase_bars)):
        length = min(phrase_bars, bars - phrase_start)
        offset = phrase_start * bar
        model = calls.get(p - 1) if p % 2 == 1 else calls.get(0) if style == "hook" and p > 0 else None
        if model:
            relative = [(o, d) for o, d in model[0] if o < length * bar - 1e-9]
        else:
            relative = [(o, d) for o, d in _rhythm(meter, length, density, rng)]
        if not relative:
            continue
        rhythm = [(offset + o, d) for o, d in relative]
        opening = model[1][: max(1, len(relative) // 2)] if model else []
        pitches = _phrase_pitches(key, chords, meter, rhythm, low, high, rng, prev, opening,
                                  resolve=p % 2 == 1 or phrase_start + length >= bars)
        calls[p] = (relative, pitches)
        prev = pitches[-1]
        for (o, d), pitch in zip(rhythm, pitches, strict=True):
            strong = meter.is_strong(round(o % bar, 6))
            vel = int(np.clip(round((96 if strong else 84) + rng.normal(0, 5)), 40, 127))
            onset = swing(o, swing_amount)
            notes.append(Note(pitch, onset, round(0.95 * (swing(o + d, swing_amount) - onset), 4), vel))
    return notes


def _start_pitch(key: Key, chords: Sequence[TimedChord], low: int, high: int, rng: np.random.Generator) -> int:
    chord = chord_at(chords, 0.0)
    tones = _pitches(chord.pitch_classes if chord else key.scale, low, high)
    middle = [t for t in tones if low + (high - low) * 0.3 <= t <= low + (high - low) * 0.65] or tones
    return int(middle[int(rng.integers(len(middle)))])


def _phrase_pitches(key: Key, chords: Sequence[TimedChord], meter: Meter,
                    rhythm: Sequence[tuple[float, float]], low: int, high: int,
                    rng: np.random.Generator, prev: int, opening: Sequence[int], *, resolve: bool) -> list[int]:
    """Pitches for one phrase: strong beats on chord tones, steps between, leaps recovered."""
    out: list[int] = []
    n = len(rhythm)
    direction = 1 if prev < (low + high) / 2 else -1
    recover = 0
    for i, (onset, _) in enumerate(rhythm):
        chord = chord_at(chords, onset)
        tones = _pitches(melodic_tones(key, chord), low, high)
        scale = _pitches(chord_scale(key, chord), low, high)
        strong = meter.is_strong(round(onset % meter.beats_per_bar, 6))
        if i == n // 2:
            direction = -direction  # arch: turn at the middle of the phrase
        if i < len(opening):
            target = opening[i]
        elif resolve and i == n - 1:
            home = [t for t in tones if t % 12 == key.tonic_pc] or [t for t in tones if t % 12 == (chord.root if chord else key.tonic_pc)] or tones
            target = min(home, key=lambda t: abs(t - prev))
            out.append(target)
            break
        elif recover:
            target = _step(scale, prev, recover)
            recover = 0
        elif rng.random() < 0.12:
            leap = _step(scale, prev, direction, steps=int(rng.integers(2, 4)))
            recover = -direction if leap != prev else 0
            target = leap
        else:
            steps = 1 if rng.random() < 0.8 else 0
            target = _step(scale, prev, direction, steps=steps) if steps else prev
        if target >= high - 1 or target <= low + 1:
            direction = -1 if target >= high - 1 else 1
        if strong or i == n - 1:  # the nearest chord tone, moving on rather than repeating
            moving = target != prev
            target = min(tones, key=lambda t, goal=target: (abs(t - goal), t == prev, (prev - t) * direction))
            onward = [t for t in tones if (t - prev) * direction > 0 and t - prev != 0]
            if moving and target == prev and onward:
                nearest = min(onward, key=lambda t: abs(t - prev))
                target = nearest if abs(nearest - prev) <= 5 else target
        elif target not in scale:
            target = min(scale, key=lambda t: abs(t - target))
        out.append(int(target))
        prev = int(target)
    return out


def _step(scale: Sequence[int], pitch: int, direction: int, *, steps: int = 1) -> int:
    """``steps`` scale steps from ``pitch`` in ``direction`` (clamped to the scale's ends)."""
    if not scale:
        return pitch
    i = min(range(len(scale)), key=lambda k: abs(scale[k] - pitch))
    return scale[int(np.clip(i + direction * steps, 0, len(scale) - 1))]


def arpeggio(*, chords: Sequence[TimedChord], low: int, high: int, rng: np.random.Generator,
             density: float = 0.5, swing_amount: float = 0.0) -> list[Note]:
    """Chord tones in a repeating up, down or up-down figure, eighths or sixteenths."""
    step = 0.25 if density >= 0.5 else 0.5
    shape = ("up", "down", "updown")[int(rng.integers(3))]
    notes = []
    for start, dur, chord in chords:
        tones = _pitches(chord.pitch_classes, low, min(high, low + 24))
        if not tones:
            continue
        figure = tones if shape == "up" else tones[::-1] if shape == "down" else tones + tones[-2:0:-1]
        t, i = start, 0
        while t < start + dur - 1e-9:
            vel = 92 if i % 4 == 0 else 74
            notes.append(Note(figure[i % len(figure)], swing(t, swing_amount), step * 0.9, vel))
            t += step
            i += 1
    return notes


def bass_line(*, key: str | Key, genre: str, time_signature: str, bars: int,
              chords: Sequence[TimedChord], kick_beats: Sequence[float], low: int, high: int,
              rng: np.random.Generator, style: str | None = None, density: float = 0.5,
              swing_amount: float = 0.0) -> list[Note]:
    """A bass line: roots on chord changes, fifths/octaves on the kicks, approach notes.

    ``style``: ``kick`` (lock to the kick; the default), ``walking`` (jazz quarters),
    ``offbeat`` (house: roots between the kicks), ``eighths`` (rock/pop drive) or ``sustain``
    (808: long notes from each kick).
    """
    key = parse_key(key) if isinstance(key, str) else key
    style = style or BASS_STYLE_FOR_GENRE.get(genre, "kick")
    meter = Meter.of(time_signature)
    total = bars * meter.beats_per_bar
    onsets = set(round(s, 4) for s, _, _ in chords)
    if style == "walking":
        onsets |= {float(b) for b in np.arange(0, total, 1.0)}
    elif style == "offbeat":
        onsets |= {round(b + 0.5, 4) for b in np.arange(0, total, 1.0)}
    elif style == "eighths":
        onsets |= {round(float(b), 4) for b in np.arange(0, total, 0.5)}
    else:
        onsets |= {round(float(k), 4) for k in kick_beats if k < total}
        if density >= 0.67:
            onsets |= {round(float(b), 4) for b in np.arange(0, total, meter.beats_per_bar / 2)}
    chord_starts = {round(s, 4) for s, _, _ in chords}
    lead_in = 1.0 if style == "walking" else 0.5
    for change in sorted(chord_starts - {0.0}):  # room for an approach note before some changes
        if style != "walking" and rng.random() < 0.45 + 0.3 * density:
            onsets.add(round(change - lead_in, 4))
    times = sorted(t for t in onsets if 0 <= t < total)
    root_of = {round(s, 4): c.root for s, _, c in chords}
    base = low + 4
    notes: list[Note] = []
    for i, t in enumerate(times):
        chord = chord_at(chords, t) or Chord(key.tonic_pc, (0, 4, 7))
        nxt = times[i + 1] if i + 1 < len(times) else total
        root = _near(chord.root, base, low, high)
        if t in chord_starts:
            pitch = root
        elif nxt in root_of and nxt - t <= lead_in + 1e-6 and rng.random() < 0.75:
            target = _near(root_of[nxt], base, low, high)
            pitch = _approach(key, target, rng)
        elif style == "walking":
            pitch = _near(int(rng.choice([chord.pitch_classes[min(1, len(chord.pitch_classes) - 1)],
                                          (chord.root + 7) % 12, key.scale[int(rng.integers(7))]])),
                          root, low, high)
        else:
            pick = rng.random()
            pitch = root if pick < 0.55 else root + 7 if pick < 0.85 else root + 12
            if pitch > high:
                pitch -= 12
        start = swing(t, swing_amount)
        length = swing(nxt, swing_amount) - start
        if style in ("offbeat", "eighths"):
            length = min(length, 0.4 if style == "offbeat" else 0.45)
        elif style != "sustain":
            length = min(length * 0.92, meter.beats_per_bar)
        vel = int(np.clip(round((104 if t in chord_starts else 90) + rng.normal(0, 4)), 40, 127))
        notes.append(Note(int(np.clip(pitch, low, high)), start, max(0.1, round(length, 4)), vel))
    return notes


#: The styles :func:`bass_line` plays.
BASS_STYLES: tuple[str, ...] = ("kick", "walking", "offbeat", "eighths", "sustain")
#: The bass style each genre asks for, where it asks for one (declared on the genre).
BASS_STYLE_FOR_GENRE: dict[str, str] = {g.name: g.bass for g in GENRES.values() if g.bass}


def _near(pc: int, around: int, low: int, high: int) -> int:
    """The pitch of class ``pc`` nearest ``around`` inside ``[low, high]``."""
    cands = [p for p in range(low, high + 1) if p % 12 == pc % 12]
    return min(cands, key=lambda p: abs(p - around)) if cands else around


def _approach(key: Key, target: int, rng: np.random.Generator) -> int:
    """A note leading into ``target``: a chromatic half step or a scale step, below or above."""
    if rng.random() < 0.5:
        return target + (-1 if rng.random() < 0.6 else 1)
    below = [p for p in range(target - 3, target) if key.contains(p)]
    return below[-1] if below else target - 2
