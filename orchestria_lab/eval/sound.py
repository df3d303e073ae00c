"""What a stem sounds like, measured on its rendered audio: brightness, low end, level.

The command suites judge sound words on these, not on which field of the session changed:
"less harsh" must lower the stem's spectral centroid, "thin" raise the share of energy
below 250 Hz, "louder" raise its level.

>>> import numpy as np
>>> sr = 44100
>>> t = np.arange(sr) / sr
>>> low, high = np.sin(2 * np.pi * 100 * t), np.sin(2 * np.pi * 4000 * t)
>>> round(centroid_hz(low, sr)), round(centroid_hz(high, sr))
(100, 4000)
>>> round(low_share(low + high, sr), 2), round(level_db(0.5 * low), 1)
(0.5, -9.0)
"""

from __future__ import annotations

import numpy as np

#: Where "the low end" stops: mud, boom and weight live below it.
LOW_END_HZ = 250.0
#: Below this a stem counts as silent, and its spectrum says nothing.
SILENCE_DB = -90.0


def _power_spectrum(audio: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies and the power summed over 8192-sample Hann frames of the mono sum."""
    mono = np.asarray(audio, dtype=np.float64)
    mono = mono.mean(axis=0) if mono.ndim == 2 else mono
    n = 8192
    if len(mono) < n:
        mono = np.pad(mono, (0, n - len(mono)))
    hop = n // 2
    frames = np.lib.stride_tricks.sliding_window_view(mono, n)[::hop]
    power = (np.abs(np.fft.rfft(frames * np.hanning(n), axis=1)) ** 2).sum(axis=0)
    return np.fft.rfftfreq(n, 1 / sr), power


def centroid_hz(audio: np.ndarray, sr: int) -> float:
    """The spectral centroid (power-weighted mean frequency) in Hz; 0 for silence."""
    freqs, power = _power_spectrum(audio, sr)
    total = power.sum()
    return float((freqs * power).sum() / total) if total > 0 else 0.0


def low_share(audio: np.ndarray, sr: int, *, below: float = LOW_END_HZ) -> float:
    """The share of power below ``below`` Hz (0..1); 0 for silence."""
    freqs, power = _power_spectrum(audio, sr)
    total = power.sum()
    return float(power[freqs < below].sum() / total) if total > 0 else 0.0


def level_db(audio: np.ndarray) -> float:
    """RMS level in dBFS over the whole stem (both channels), floored at :data:`SILENCE_DB`."""
    rms = float(np.sqrt(np.mean(np.square(np.asarray(audio, dtype=np.float64))))) if np.size(audio) else 0.0
    return max(SILENCE_DB, 20 * float(np.log10(rms))) if rms > 0 else SILENCE_DB


#: The measures the suites may name: name -> (function of audio and sample rate, the least change
#: that counts as a move: relative for the centroid, absolute for the share and the level).
MEASURES = {
    "centroid": (centroid_hz, ("ratio", 0.03)),
    "low_share": (low_share, ("abs", 0.01)),
    "level": (lambda audio, sr: level_db(audio), ("abs", 0.5)),
}


def moved(measure: str, before: float, after: float, direction: str) -> bool:
    """Whether ``after`` lies past ``before`` by at least the measure's least change, in ``direction``.

    >>> moved("centroid", 1000.0, 1100.0, "up"), moved("centroid", 1000.0, 1010.0, "up")
    (True, False)
    >>> moved("level", -20.0, -23.0, "down")
    True
    """
    kind, least = MEASURES[measure][1]
    step = before * least if kind == "ratio" else least
    return after >= before + step if direction == "up" else after <= before - step
