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
    """One chord a bar, guessed from the notes sounding (duration-weighted, bass favoured).

    Candidates are the key's diatonic triads and sevenths and the dominant seventh on V;
    bars without notes repeat the previous chord (the tonic at the start).
    """
    key = parse_key(key) if isinstance(key, str) else key
    bar = Meter.of(time_signature).beats_per_bar
    cands: list[Chord] = []
    for d in range(1, 8):
        cands += [make_chord(key, d, "triad"), make_chord(key, d, "7")]
    cands.append(make_chord(key, 5, "dom7"))
    out: list[TimedChord] = []
    prev = make_chord(key, 1, "triad")
    for b in range(bars):
        lo, hi = b * bar, (b + 1) * bar
        weight = [0.0] * 12
        inside = [n for n in notes if n.start < hi and n.start + n.duration > lo]
        for n in inside:
            weight[n.pitch % 12] += min(hi, n.start + n.duration) - max(lo, n.start)
        if inside:
            bass_pc = min(inside, key=lambda n: n.pitch).pitch % 12
            weight[bass_pc] += bar / 2

            def score(c: Chord, w: list[float] = weight, bpc: int = bass_pc) -> float:
                pcs = c.pitch_classes
                return sum(w[p] for p in pcs) - 0.5 * sum(w[p] for p in range(12) if p not in pcs) + (bar * 0.2 if c.root == bpc else 0) - 0.05 * len(pcs)

            prev = max(cands, key=score)
        out.append((lo, bar, prev))
    return out


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
