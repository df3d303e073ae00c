"""Reading music back: chords from notes, and the checks a part must pass to sound right.

The generators are tested with these (and the eval issue can reuse them): every pitched
note is in the key's scale or a tone of the chord sounding, chromatic approach notes are
counted, the bass plays the chord root on the downbeats, drums sit on the swung grid.

>>> from orchestria_lab.music.notes import Note
>>> from orchestria_lab.music.theory import Chord
>>> chords = [(0.0, 4.0, Chord(0, (0, 3, 7)))]
>>> report = harmonic_fit([Note(60, 0, 1), Note(63, 1, 1), Note(61, 2, 1)], chords, key="Cm")
>>> report.in_key, report.chord_tones, report.outside
(2, 2, 1)
>>> bass_root_agreement([Note(36, 0, 4)], chords)
1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchestria_lab.music.notes import Note
from orchestria_lab.music.progressions import TimedChord, chord_at, make_chord
from orchestria_lab.music.rhythm import GRID, Meter, swing
from orchestria_lab.music.theory import Chord, Key, parse_key


@dataclass(frozen=True)
class HarmonicFit:
    """How a part's notes sit against a key and the chords sounding."""

    total: int
    in_key: int          # notes in the key's scale
    chord_tones: int     # notes that are a tone of the chord sounding
    outside: int         # neither: chromatic notes (approaches, passing tones)
    outside_notes: tuple[Note, ...]

    @property
    def fit(self) -> float:
        """Share of notes in the key or in the chord (1.0 when there are no notes)."""
        return 1.0 if not self.total else 1 - self.outside / self.total


def harmonic_fit(notes: Sequence[Note], chords: Sequence[TimedChord], *, key: str | Key) -> HarmonicFit:
    """Count the notes in the scale, on chord tones, and outside both."""
    key = parse_key(key) if isinstance(key, str) else key
    in_key = tones = 0
    outside = []
    for n in notes:
        chord = chord_at(chords, n.start + 1e-3)
        is_tone = chord is not None and n.pitch % 12 in chord.pitch_classes
        in_key += key.contains(n.pitch)
        tones += is_tone
        if not is_tone and not key.contains(n.pitch):
            outside.append(n)
    return HarmonicFit(len(notes), in_key, tones, len(outside), tuple(outside))


def bass_root_agreement(bass: Sequence[Note], chords: Sequence[TimedChord]) -> float:
    """Share of chord changes where the lowest bass note sounding is the chord's root."""
    hits = 0
    for start, _, chord in chords:
        sounding = [n for n in bass if n.start - 0.03 <= start < n.start + n.duration]
        if sounding and min(sounding, key=lambda n: n.pitch).pitch % 12 == chord.root:
            hits += 1
    return hits / len(chords) if chords else 1.0


def strong_beat_tones(notes: Sequence[Note], chords: Sequence[TimedChord], *, time_signature: str,
                      tolerance: float = 0.06) -> list[bool]:
    """For each note starting on a strong beat (:attr:`Meter.strong`: beats 1 and 3 in 4/4, the
    downbeat in 3/4 and 6/8; within ``tolerance`` beats, for a line played by hand), whether it is a
    tone of the chord sounding (notes where no chord sounds are left out).

    >>> from orchestria_lab.music.theory import Chord
    >>> line = [Note(60, 0, 1), Note(62, 1, 1), Note(65, 2, 1), Note(64, 4, 1)]
    >>> strong_beat_tones(line, [(0.0, 8.0, Chord(0, (0, 4, 7)))], time_signature="4/4")
    [True, False, True]
    """
    meter = Meter.of(time_signature)
    bar = meter.beats_per_bar
    out = []
    for n in notes:
        position = n.start % bar
        if not any(abs(position - s) <= tolerance or abs(position - s - bar) <= tolerance for s in meter.strong):
            continue
        chord = chord_at(chords, n.start + tolerance)
        if chord is not None:
            out.append(n.pitch % 12 in chord.pitch_classes)
    return out


def grid_fit(notes: Sequence[Note], *, swing_amount: float = 0.0, subdivision: float = 0.5,
             tolerance: float = 0.03) -> float:
    """Share of onsets within ``tolerance`` beats of a (swung) :data:`GRID` position."""
    if not notes:
        return 1.0
    ok = 0
    for n in notes:
        base = round(n.start / GRID) * GRID
        cands = {swing(base + k * GRID, swing_amount, subdivision=subdivision) for k in (-2, -1, 0, 1)}
        ok += any(abs(n.start - c) <= tolerance for c in cands)
    return ok / len(notes)


def estimate_chords(notes: Sequence[Note], *, key: str | Key, time_signature: str, bars: int) -> list[TimedChord]:
    """The chords a part plays, read back from its notes: each pulse (a beat in 4/4) labelled with the
    chord that best holds the notes sounding there (duration-weighted, its bass favoured as the root),
    a chord held while it fits nearly as well, consecutive pulses of one chord in a bar joined; pulses
    without notes keep the chord before (the tonic at the start). Each bar starts a new entry.

    Candidates are the key's diatonic triads and sevenths and, at a small cost, the major, minor,
    dominant-seventh, minor-seventh, major-seventh, diminished, half-diminished and suspended chords on
    every root, so a part that plays E7 in C (a secondary dominant) is read as E7.

    >>> from orchestria_lab.music.notes import Note
    >>> part = [Note(p, s, 2) for s, chord in ((0, (60, 64, 67)), (2, (59, 62, 67)), (4, (57, 60, 64)))
    ...         for p in chord] + [Note(p, 6, 2) for p in (56, 59, 62, 64)]
    >>> [(s, d, c.symbol) for s, d, c in estimate_chords(part, key="C", time_signature="4/4", bars=2)]
    [(0.0, 2.0, 'C'), (2.0, 2.0, 'G'), (4.0, 2.0, 'Am'), (6.0, 2.0, 'E7')]
    """
    key = parse_key(key) if isinstance(key, str) else key
    meter = Meter.of(time_signature)
    bar = meter.beats_per_bar
    cands = _reading_candidates(key)
    out: list[TimedChord] = []
    prev = make_chord(key, 1, "triad")
    for b in range(bars):
        for start, length in zip(meter.group_starts, meter.group_lengths, strict=True):
            lo = b * bar + start
            hi = lo + length
            inside = [n for n in notes if n.start < hi - 1e-9 and n.start + n.duration > lo + 1e-9]
            if inside:
                weight = [0.0] * 12
                for n in inside:
                    weight[n.pitch % 12] += min(hi, n.start + n.duration) - max(lo, n.start)
                bass = min(inside, key=lambda n: n.pitch).pitch % 12
                scored = {c: _fit(c, cost, weight, bass, length, key) for c, cost in cands}
                best = max(scored, key=scored.__getitem__)
                held = scored.get(prev, _fit(prev, 0.0, weight, bass, length, key))
                if held < scored[best] - 0.1 * length:  # a passing note does not change the chord
                    prev = best
            if out and out[-1][2] == prev and out[-1][0] >= b * bar - 1e-9:
                out[-1] = (out[-1][0], out[-1][1] + length, prev)
            else:
                out.append((lo, length, prev))
    return out


def _reading_candidates(key: Key) -> list[tuple[Chord, float]]:
    """The chords :func:`estimate_chords` reads, with what reading each costs (0 for the key's own)."""
    out: dict[Chord, float] = {}
    for d in range(1, 8):
        for kind in ("triad", "7"):
            out[make_chord(key, d, kind)] = 0.0
    out.setdefault(make_chord(key, 5, "dom7"), 0.0)
    for root in range(12):
        for quality in ((0, 4, 7), (0, 3, 7), (0, 4, 7, 10), (0, 3, 7, 10), (0, 4, 7, 11), (0, 3, 6), (0, 3, 6, 10),
                        (0, 5, 7)):
            out.setdefault(Chord(root, quality, key.flats), 0.15)
    return list(out.items())


def _fit(chord: Chord, cost: float, weight: Sequence[float], bass: int, length: float, key: Key) -> float:
    """How well ``chord`` holds the pitch-class ``weight`` of a pulse ``length`` beats long."""
    pcs = chord.pitch_classes
    held = sum(weight[p] for p in pcs)
    stray = sum(weight[p] for p in range(12) if p not in pcs)
    missing = sum(1 for p in pcs if weight[p] <= 1e-9)
    outside = sum(1 for p in pcs if p not in key.scale and weight[p] <= 1e-9)
    return (held - 0.5 * stray - length * (0.2 * missing + 0.1 * outside + cost + 0.02 * len(pcs))
            + (0.3 * length if chord.root == bass else 0.0))


#: Krumhansl & Kessler's key profiles (1982): how well each pitch class fits a major and a minor key
#: heard from its tonic.
_MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def estimate_key(notes: Sequence[Note]) -> str:
    """The key ``notes`` are most likely in (Krumhansl-Schmuckler: the duration-weighted pitch-class
    profile correlated with the 24 key profiles), as a key name; ``"C"`` for no pitched notes.

    >>> from orchestria_lab.music.notes import Note
    >>> scale = [Note(p, i, 1) for i, p in enumerate((57, 59, 60, 62, 64, 65, 67, 69, 64, 60, 57))]
    >>> estimate_key(scale), estimate_key([Note(p, i, 1) for i, p in enumerate((62, 64, 66, 67, 69, 71, 73, 74))])
    ('Am', 'D')
    """
    import numpy as np

    weights = np.zeros(12)
    for n in notes:
        weights[int(n.pitch) % 12] += max(float(n.duration), 0.05)
    if not weights.any():
        return "C"
    best, name = -2.0, "C"
    for tonic in range(12):
        for profile, suffix in ((_MAJOR_PROFILE, ""), (_MINOR_PROFILE, "m")):
            r = float(np.corrcoef(weights, np.roll(profile, tonic))[0, 1])
            if r > best:
                best, name = r, _NAMES[tonic] + suffix
    return name


#: Where a tempo search looks (bpm), and the tempo it leans to when the notes allow several
#: (a beat and its double fit the same onsets): a log-normal prior, one octave wide.
TEMPO_RANGE = (40.0, 240.0)
TEMPO_PRIOR_BPM = 110.0


def estimate_tempo(onsets: Sequence[float], weights: Sequence[float] | None = None) -> float:
    """The tempo (bpm, to 0.1) that ``onsets`` (seconds) most likely keep.

    The onsets become a pulse train at 200 Hz, each blurred by 12 ms (a player's timing); its
    autocorrelation is read at every beat length in :data:`TEMPO_RANGE`, at half of it (a beat
    divides in two) and at two, three and four beats (bars line up), and a log-normal prior one octave wide
    around :data:`TEMPO_PRIOR_BPM` settles between a beat and its double. A parabola through the
    best lag and its neighbours refines it. Too few onsets to tell give the prior.

    >>> beats = [i * 60 / 93 for i in range(64)]                # quarter notes at 93 bpm
    >>> offbeats = [b + 30 / 93 for b in beats[::2]]             # and some eighths between
    >>> estimate_tempo(beats + offbeats)
    93.0
    """
    import numpy as np

    t = np.asarray(onsets, dtype=np.float64)
    if len(t) < 4 or float(t.max() - t.min()) < 2.0:
        return TEMPO_PRIOR_BPM
    w = np.ones_like(t) if weights is None else np.asarray(weights, dtype=np.float64)
    rate = 200.0
    t = t - t.min()
    n = int(t.max() * rate) + int(rate * 2)
    pulse = np.zeros(n)
    np.add.at(pulse, np.round(t * rate).astype(int), w)
    blur = np.exp(-0.5 * (np.arange(-8, 9) / (0.012 * rate)) ** 2)
    pulse = np.convolve(pulse, blur, mode="same")
    pulse -= pulse.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(pulse, size)
    ac = np.fft.irfft(spectrum * np.conj(spectrum), size)[:n]
    ac /= ac[0] if ac[0] > 0 else 1.0
    lags = np.arange(int(rate * 60 / TEMPO_RANGE[1]), int(rate * 60 / TEMPO_RANGE[0]) + 1)
    score = np.zeros(len(lags))
    for multiple, share in ((0.5, 0.5), (1, 1.0), (2, 0.5), (3, 0.25), (4, 0.5)):  # a beat halves; bars line up
        at = np.round(lags * multiple).astype(int)
        ok = at < n
        score[ok] += share * ac[at[ok]]
    bpm = 60 * rate / lags
    score = score * np.exp(-0.5 * np.log2(bpm / TEMPO_PRIOR_BPM) ** 2)
    i = int(np.argmax(score))
    lag = float(lags[i])
    if 0 < i < len(lags) - 1:  # the parabola through the peak and its neighbours
        a, b, c = score[i - 1], score[i], score[i + 1]
        if a - 2 * b + c < 0:
            lag += 0.5 * (a - c) / (a - 2 * b + c)
    return float(round(60 * rate / lag, 1))
