"""Small numpy/scipy building blocks the effects share: levels, biquads, delays, convolution.

Audio arrays are float32 with shape ``(channels, samples)``. Biquads follow the RBJ Audio
EQ Cookbook and come back as second-order sections for :func:`sosfilt`.

>>> sos = biquad("lowpass", 1000.0, 44100, q=0.7071)
>>> round(float(abs(sos_response(sos, [10.0, 1000.0], 44100)[0])), 3)
1.0
>>> round(float(gain_to_db(abs(sos_response(sos, [1000.0], 44100)[0]))), 1)
-3.0
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.signal as sig

from orchestria_lab.errors import InvalidValue

BIQUAD_KINDS = ("lowpass", "highpass", "bandpass", "peaking", "lowshelf", "highshelf")


def db_to_gain(db: float | np.ndarray) -> float | np.ndarray:
    """Decibels to a linear amplitude factor (``-6.02 dB -> 0.5``)."""
    return np.power(10.0, np.asarray(db) / 20.0) if isinstance(db, np.ndarray) else 10.0 ** (db / 20.0)


def gain_to_db(gain: float | np.ndarray, *, floor: float = 1e-12) -> float | np.ndarray:
    """A linear amplitude factor to decibels, with ``floor`` keeping silence finite."""
    return 20.0 * np.log10(np.maximum(gain, floor))


def as_audio(audio: np.ndarray) -> np.ndarray:
    """``audio`` as C-contiguous float32 ``(channels, samples)``; a 1-D array becomes one channel."""
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise InvalidValue("audio shape", a.shape, "(channels, samples) or (samples,)")
    return np.ascontiguousarray(a)


def view_tensor(a: np.ndarray):
    """A torch view of float32 ``a`` for reading (read-only cache entries included, without warnings)."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(np.ascontiguousarray(a, np.float32))


def biquad(kind: str, freq: float, sr: int, *, q: float = 0.7071, gain_db: float = 0.0) -> np.ndarray:
    """One RBJ biquad as a ``(1, 6)`` second-order section; ``freq`` is clamped below Nyquist."""
    if kind not in BIQUAD_KINDS:
        raise InvalidValue("biquad kind", kind, "one of " + ", ".join(BIQUAD_KINDS))
    f = min(max(float(freq), 1.0), 0.49 * sr)
    w = 2.0 * np.pi * f / sr
    cw, sw = np.cos(w), np.sin(w)
    alpha = sw / (2.0 * q)
    a_ = 10.0 ** (gain_db / 40.0)
    if kind == "lowpass":
        b = [(1 - cw) / 2, 1 - cw, (1 - cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "highpass":
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "bandpass":
        b = [alpha, 0.0, -alpha]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "peaking":
        b = [1 + alpha * a_, -2 * cw, 1 - alpha * a_]
        a = [1 + alpha / a_, -2 * cw, 1 - alpha / a_]
    else:
        # Shelf slope S = 1 (steepest without overshoot): alpha = sin(w)/2 * sqrt(2).
        alpha = sw / 2.0 * np.sqrt(2.0)
        k = 2.0 * np.sqrt(a_) * alpha
        sign = 1.0 if kind == "lowshelf" else -1.0
        b = [a_ * ((a_ + 1) - sign * (a_ - 1) * cw + k),
             sign * 2 * a_ * ((a_ - 1) - sign * (a_ + 1) * cw),
             a_ * ((a_ + 1) - sign * (a_ - 1) * cw - k)]
        a = [(a_ + 1) + sign * (a_ - 1) * cw + k,
             -sign * 2 * ((a_ - 1) + sign * (a_ + 1) * cw),
             (a_ + 1) + sign * (a_ - 1) * cw - k]
    b_, a_arr = np.asarray(b) / a[0], np.asarray(a) / a[0]
    return np.concatenate([b_, a_arr])[None, :]


def butterworth_qs(order: int) -> list[float]:
    """Q of each biquad in a Butterworth cascade of even ``order`` (2 -> [0.707], 4 -> [0.541, 1.307])."""
    return [1.0 / (2.0 * np.cos(np.pi * (2 * k + 1) / (2 * order))) for k in range(order // 2)]


def sos_response(sos: np.ndarray, freqs: Sequence[float] | np.ndarray, sr: int) -> np.ndarray:
    """Complex response of ``sos`` at ``freqs`` (Hz)."""
    _, h = sig.sosfreqz(sos, worN=np.asarray(freqs, dtype=float), fs=sr)
    return h


def sosfilt(sos: np.ndarray, audio: np.ndarray) -> np.ndarray:
    """``audio`` (``(channels, samples)`` or ``(samples,)``) filtered along time by the
    cascade ``sos``: float32 in and out, float64 state and arithmetic inside.

    The loop is compiled (:mod:`orchestria_lab.audio.kernels`) and runs a stereo pair's
    channels side by side on one thread.

    >>> x = np.zeros(4, np.float32); x[0] = 1
    >>> sosfilt(np.array([[1.0, 0.0, 0.0, 1.0, -0.5, 0.0]]), x).tolist()
    [1.0, 0.5, 0.25, 0.125]
    """
    from orchestria_lab.audio.kernels import kernel

    sos = np.asarray(sos, dtype=np.float64)
    sos = sos / sos[:, 3:4]
    x = np.ascontiguousarray(audio, dtype=np.float32)
    flat = x.ndim == 1
    x2 = x[None, :] if flat else x.reshape(-1, x.shape[-1])
    y = kernel("biquads")(np.ascontiguousarray(sos), x2, np.zeros((x2.shape[0], sos.shape[0], 4)))
    return y[0] if flat else y.reshape(x.shape)


def white_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Float32 white noise of unit RMS: uniform, which sounds as white as Gaussian noise
    (the spectrum is what the ear hears) and is several times quicker to draw.

    >>> x = white_noise(np.random.default_rng(0), (2, 100_000))
    >>> x.dtype, round(float(np.sqrt((x ** 2).mean())), 2), float(np.abs(x).max()) <= 3 ** 0.5
    (dtype('float32'), 1.0, True)
    """
    noise = rng.random(shape, dtype=np.float32)
    noise -= np.float32(0.5)
    noise *= np.float32(2 * 3**0.5)
    return noise


#: Bytes of noise layers :func:`kept_noise` holds (a few loops' worth); a layer over a third of it is never kept.
KEPT_NOISE_BYTES = 48 << 20
_KEPT: OrderedDict[tuple, np.ndarray] = OrderedDict()
_KEPT_LOCK = threading.Lock()
_KEEPING = ContextVar("orchestria_keep_noise", default=True)


@contextmanager
def noise_not_kept() -> Iterator[None]:
    """Inside the block :func:`kept_noise` keeps nothing new: the pieces of a long stem processed
    a chunk at a time are each heard once, and holding them would only add to the peak memory."""
    token = _KEEPING.set(False)
    try:
        yield
    finally:
        _KEEPING.reset(token)


def kept_noise(key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
    """The noise layer ``make()`` returns, kept under ``key`` (read-only) for the next render.

    An effect's noise (tape hiss, vinyl's surface and crackle) depends on its seed, its place
    in the piece and its length, never on the audio: a stem re-rendered after an edit, or
    another stem of the same length, gets the same layer again without drawing and filtering
    it anew. ``key`` must name everything ``make`` depends on. At most :data:`KEPT_NOISE_BYTES`
    are held, least recently used out first.

    >>> a = kept_noise(("doc", 4), lambda: np.ones((1, 4), np.float32))
    >>> kept_noise(("doc", 4), lambda: np.zeros((1, 4), np.float32)) is a, a.flags.writeable
    (True, False)
    """
    with _KEPT_LOCK:
        hit = _KEPT.get(key)
        if hit is not None:
            _KEPT.move_to_end(key)
            return hit
    layer = make()
    if layer.nbytes * 3 > KEPT_NOISE_BYTES or not _KEEPING.get():
        return layer
    layer.setflags(write=False)
    with _KEPT_LOCK:
        _KEPT[key] = layer
        while sum(a.nbytes for a in _KEPT.values()) > KEPT_NOISE_BYTES:
            _KEPT.popitem(last=False)
    return layer


def fft_convolve(x: np.ndarray, h: np.ndarray, *, circular: bool = False) -> np.ndarray:
    """Convolution of each channel of ``x`` with the matching channel of ``h``, by FFT.

    Linear (``(channels, n + m - 1)``): overlap-add with power-of-two blocks about four times
    the impulse length, so memory stays a few blocks whatever the input length. Circular
    (``circular=True``, ``(channels, n)``): one transform of the whole input with the impulse
    folded onto it, which is exactly a loop's tail wrapping round to its start.
    Float32 in and out; torch's FFT, one thread. One input channel against several impulse
    channels (mono in, stereo out) transforms the input once.

    >>> x = np.zeros((1, 8), np.float32); x[0, 6] = 1
    >>> (fft_convolve(x, np.array([[1.0, 0.5, 0.25]], np.float32), circular=True).round(3) + 0.0).tolist()
    [[0.25, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.5]]
    """
    import torch

    c, n = x.shape
    m = h.shape[1]
    xt = torch.from_numpy(np.ascontiguousarray(x, np.float32))
    if circular:
        return loop_convolve(x, loop_spectrum(h, n))
    ht = torch.tensor(h, dtype=torch.float32)  # a copy: impulses may be read-only cache entries
    nfft = 1 << max(14, int(np.ceil(np.log2(min(4 * m, n + m - 1)))))
    block = nfft - m + 1
    hf = torch.fft.rfft(ht, nfft)
    out = torch.zeros(max(c, h.shape[0]), n + m - 1)
    for start in range(0, n, block):
        y = torch.fft.irfft(torch.fft.rfft(xt[:, start:start + block], nfft) * hf, nfft)
        stop = min(start + nfft, out.shape[1])
        out[:, start:stop] += y[:, : stop - start]
    return out.numpy()


@dataclass(frozen=True)
class LoopSpectrum:
    """An impulse's spectrum ready to convolve ``n``-sample loops with (:func:`loop_convolve`):
    at ``size``, a fast transform length at least ``n`` plus the impulse, not at ``n`` itself,
    whose factors a tempo makes (a loop at 93 bpm is 7 x 19 x 13691 samples long: a transform of
    that length costs seven times one of a fast length)."""

    spectrum: Any  # numpy complex64, (channels, size // 2 + 1)
    size: int
    n: int


def loop_spectrum(h: np.ndarray, n: int) -> LoopSpectrum:
    """The spectrum of ``h`` (float32 ``(channels, m)``) for convolving ``n``-sample loops; an impulse
    longer than the loop is first folded onto it (its tail wraps round, as a loop's does)."""
    import torch
    from scipy.fft import next_fast_len

    ht = torch.tensor(h, dtype=torch.float32)  # a copy: impulses may be read-only cache entries
    if ht.shape[1] > n:
        ht = torch.nn.functional.pad(ht, (0, -ht.shape[1] % n)).reshape(ht.shape[0], -1, n).sum(dim=1)
    size = next_fast_len(n + ht.shape[1] - 1, real=True)
    spectrum = torch.fft.rfft(ht, size).numpy()
    spectrum.setflags(write=False)  # shared by every render of the loop (a cache entry)
    return LoopSpectrum(spectrum, size, n)


def loop_convolve(x: np.ndarray, h: LoopSpectrum) -> np.ndarray:
    """``x`` (float32 ``(channels, n)``, a loop) convolved circularly with the impulse of ``h``:
    the linear convolution at ``h.size``, its tail past ``n`` added back onto the start, which is
    exactly a loop's tail wrapping round. One input channel against a stereo impulse gives two.

    The forward transform is SciPy's (pocketfft: about twice as quick as torch's on one
    thread at these lengths), the inverse torch's (the quicker of the two there); both
    release the GIL, and their results agree to float rounding.
    """
    import scipy.fft
    import torch

    n = h.n
    spectrum = scipy.fft.rfft(np.ascontiguousarray(x, np.float32), h.size, workers=1) * h.spectrum
    y = torch.fft.irfft(torch.from_numpy(spectrum), h.size)
    out = y[:, :n].clone()
    for start in range(n, h.size, n):
        piece = y[:, start:start + n]
        out[:, :piece.shape[1]] += piece
    return out.numpy()


def one_pole_lowpass_coef(freq: float, sr: int) -> float:
    """The pole ``a`` of ``y[n] = (1 - a) x[n] + a y[n-1]`` whose -3 dB point is near ``freq``."""
    return float(np.exp(-2.0 * np.pi * min(freq, 0.49 * sr) / sr))


def dc_block(audio: np.ndarray, sr: int, *, freq: float = 10.0) -> np.ndarray:
    """Remove DC and sub-audio drift with a first-order highpass at ``freq`` Hz."""
    r = one_pole_lowpass_coef(freq, sr)
    b = np.array([1.0, -1.0], dtype=np.float32) * (1 + r) / 2
    return sig.lfilter(b, np.array([1.0, -r], dtype=np.float32), audio, axis=-1).astype(np.float32)
