"""Time-based effects: convolution reverb, tempo-synced delay and chorus.

Every function takes float32 ``(channels, samples)`` and returns the same shape; a mono
input comes back stereo, since these effects make width. Tails past the end of the input
are the caller's business (:func:`orchestria_lab.audio.effects.apply_effect` pads for a
ring-out or wraps them round a loop).

>>> import numpy as np
>>> x = np.zeros((1, 8000), np.float32); x[0, 0] = 1.0
>>> y = delay(x, 8000, bpm=120, time=0.5, feedback=0.5, mix=1.0)
>>> [int(i) for i in np.flatnonzero(np.abs(y[0]) > 0.05)[:3]]   # half a beat = 0.25 s
[2000, 4000, 6000]
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.signal as sig

from orchestria_lab.audio.dsp import (
    as_audio,
    biquad,
    fft_convolve,
    loop_convolve,
    loop_spectrum,
    one_pole_lowpass_coef,
    view_tensor,
)
from orchestria_lab.errors import InvalidValue

MAX_IR_SECONDS = 12.0


def _stereo(x: np.ndarray) -> np.ndarray:
    return np.repeat(x, 2, axis=0) if x.shape[0] == 1 else x


@lru_cache(maxsize=16)
def reverb_ir(sr: int, *, size: float = 0.5, decay: float = 1.8, damping: float = 0.5,
              predelay: float = 10.0, seed: int = 0) -> np.ndarray:
    """A generated stereo impulse response ``(2, samples)``, unit energy per channel.

    Diffuse noise with early reflections spread over ``size`` (0-1, up to 80 ms); the low
    band decays by 60 dB in ``decay`` seconds and ``damping`` (0-1) shortens the mid and high
    bands' decay, the way air and soft walls absorb treble. ``predelay`` in ms.
    """
    rng = np.random.default_rng(seed)
    length = int(sr * min(decay * 1.1 + predelay / 1000 + 0.05, MAX_IR_SECONDS))
    t = np.arange(length) / sr
    noise = rng.standard_normal((2, length))
    low = sig.sosfilt(biquad("lowpass", 600.0, sr), noise, axis=-1)
    high = sig.sosfilt(biquad("highpass", 4000.0, sr), noise, axis=-1)
    mid = noise - low - high
    rt = (decay, decay * (1 - 0.35 * damping), decay * (1 - 0.75 * damping))
    ir = sum(band * 10 ** (-3 * t / max(r, 0.02)) for band, r in zip((low, mid, high), rt, strict=True))
    build = max(0.004, 0.03 * size)  # the diffuse tail swells in over the room's first echoes
    ir *= 1 - np.exp(-t / build)
    n_early = 12
    early = rng.uniform(0.002, 0.002 + 0.08 * size, (2, n_early))
    for ch in range(2):
        taps = (early[ch] * sr).astype(int)
        ir[ch, taps] += rng.choice([-1.0, 1.0], n_early) * np.exp(-early[ch] / (0.04 + 0.1 * size)) * 2.0
    ir /= np.sqrt((ir**2).sum(axis=1, keepdims=True))
    pre = int(sr * predelay / 1000)
    out = np.zeros((2, pre + length), dtype=np.float32)
    out[:, pre:] = ir
    out.setflags(write=False)
    return out


@lru_cache(maxsize=8)
def _loop_spectrum(sr: int, n: int, size: float, decay: float, damping: float, predelay: float):
    """The impulse response folded onto an ``n``-sample loop, transformed (kept: loops re-render often)."""
    return loop_spectrum(reverb_ir(sr, size=size, decay=decay, damping=damping, predelay=predelay), n)


def reverb(audio: np.ndarray, sr: int, *, size: float = 0.5, decay: float = 1.8,
           damping: float = 0.5, predelay: float = 10.0, mix: float = 0.25,
           circular: bool = False) -> np.ndarray:
    """Convolution reverb with a generated impulse response (see :func:`reverb_ir`).

    ``mix`` crossfades dry (0) to wet (1) at equal power. The reverb hears the mono sum
    and answers in stereo (two decorrelated impulses), as a send reverb does. ``circular``
    treats the input as a loop: the tail wraps round to the start, exactly.
    """
    import torch

    x = as_audio(audio)
    n = x.shape[1]
    mono = x if x.shape[0] == 1 else x.mean(axis=0, keepdims=True)  # mono in, stereo out, as a send reverb
    if circular and n:
        wet = loop_convolve(mono, _loop_spectrum(sr, n, size, decay, damping, predelay))
    else:
        ir = reverb_ir(sr, size=size, decay=decay, damping=damping, predelay=predelay)
        wet = np.ascontiguousarray(fft_convolve(mono, ir)[:, :n])
    dry_g, wet_g = np.cos(mix * np.pi / 2), np.sin(mix * np.pi / 2)
    out = torch.from_numpy(wet)  # ours: scaled and summed in place, the dry (one channel or two) added to it
    out.mul_(float(np.float32(wet_g))).add_(view_tensor(x), alpha=float(np.float32(dry_g)))
    return wet


def delay(audio: np.ndarray, sr: int, *, bpm: float, time: float = 0.75, feedback: float = 0.35,
          mix: float = 0.25, ping_pong: bool = False, damping: float = 0.3) -> np.ndarray:
    """Tempo-synced feedback delay: echoes every ``time`` beats, each ``feedback`` times the last.

    ``damping`` (0-1) darkens each repeat with a lowpass in the feedback path; with
    ``ping_pong`` the echoes alternate left and right. The recursion is one compiled pass,
    whatever the feedback.
    """
    from orchestria_lab.audio.kernels import kernel

    x = as_audio(audio)
    if x.shape[0] > 2:
        raise InvalidValue("delay input channels", x.shape[0], "1 (mono) or 2 (stereo)")
    d = max(1, int(round(time * 60.0 / bpm * sr)))
    pole = one_pole_lowpass_coef(20000.0 * (1 - damping) ** 2 + 500.0, sr) if damping > 0 else 0.0
    dry_g, wet_g = (1.0, mix) if mix <= 0.5 else (2.0 * (1.0 - mix), 0.5 + 0.5 * mix)
    return kernel("feedback_delay")(x, d, float(feedback), float(pole), bool(ping_pong),
                                    float(dry_g), float(wet_g))


def chorus(audio: np.ndarray, sr: int, *, rate: float = 0.8, depth: float = 3.0, delay: float = 12.0,
           voices: int = 1, mix: float = 0.5, start: int = 0) -> np.ndarray:
    """Chorus: ``voices`` copies per channel read through slowly swinging delays.

    ``rate`` is the sweep in Hz, ``depth`` and ``delay`` in ms (a sweep deeper than the
    centre delay is held to it: a delay cannot read ahead of now); left and right sweep in
    quadrature for width. Linear interpolation reads the fractional delays. ``start`` is
    the position of ``audio[0]`` in the whole piece, so pieces processed apart sweep as one.
    """
    import torch

    from orchestria_lab.audio.kernels import kernel

    x = _stereo(as_audio(audio))
    n = x.shape[1]
    centre, swing = delay * sr / 1000.0, min(depth, delay) * sr / 1000.0
    read = kernel("swept_delay")
    wet = torch.empty(2, n)
    for ch in range(2):
        for v in range(voices):
            sweep = np.array([[swing, rate, np.pi / 2 * ch + 2 * np.pi * v / voices]])
            voice = torch.from_numpy(read(x[ch:ch + 1], start, float(sr), centre, sweep)[0])
            wet[ch] = voice if v == 0 else wet[ch] + voice
    if voices > 1:
        wet *= 1.0 / voices
    return torch.lerp(view_tensor(x), wet, mix).numpy()
