"""The torch synth engine: the building blocks every instrument is made of.

The distinct notes of a stem render together, one per row of a tensor, so there is no
per-note Python loop in the synthesis; :func:`overlap_add` then places each occurrence
with one contiguous add. Oscillators are
band-limited per note (harmonic wavetables built from each note's own spectrum, so
nothing is ever generated above Nyquist), envelopes are closed-form, and the plucked
string is Karplus–Strong solved exactly in the frequency domain. Everything is made of
differentiable torch operations, so patch parameters can be fitted to a target sound.

>>> import torch
>>> env = adsr(torch.arange(5) / 4.0, torch.full((5,), 0.5), attack=0.25, decay=0.5,
...            sustain=0.5, release=1.0, end=torch.full((5,), 1.0))
>>> [round(v, 2) for v in env.tolist()]
[0.0, 1.0, 0.52, 0.08, 0.0]
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.fft import next_fast_len

TABLE_SIZE = 2048
HARMONICS = TABLE_SIZE // 2 - 1


def midi_to_hz(pitch: torch.Tensor | float) -> torch.Tensor:
    """Equal-tempered frequency of a MIDI pitch (A4 = 69 = 440 Hz)."""
    return 440.0 * torch.pow(2.0, (torch.as_tensor(pitch, dtype=torch.float64) - 69.0) / 12.0)


def phase(n: torch.Tensor, freq: torch.Tensor, sr: int) -> torch.Tensor:
    """Phase in cycles (0-1) of a steady ``freq`` at local sample ``n``; float64 inside, so long
    notes stay in tune. ``freq`` is per sample (float64)."""
    p = n.to(torch.float64) * (freq / sr)
    return (p - torch.floor(p)).to(torch.float32)


def vibrato_cycles(t: torch.Tensor, freq: torch.Tensor, *, rate: float, cents: float,
                   delay: float = 0.0) -> torch.Tensor:
    """Extra phase (cycles) of a sine vibrato of ``cents`` depth at ``rate`` Hz, fading in after ``delay`` s."""
    if cents <= 0:
        return torch.zeros_like(t)
    c = (2.0 ** (cents / 1200.0) - 1.0)
    fade = torch.clamp((t - delay) / 0.3, 0.0, 1.0) if delay > 0 else 1.0
    w = 2 * math.pi * rate
    return (freq.to(torch.float32) * c * fade) * (1.0 - torch.cos(w * t)) / w


def sweep_cycles(t: torch.Tensor, f_start: torch.Tensor, f_end: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
    """Phase (cycles) of a frequency gliding exponentially from ``f_start`` to ``f_end`` (time constant ``tau``)."""
    return f_end * t + (f_start - f_end) * tau * (1.0 - torch.exp(-t / tau))


def harmonic_amplitudes(shape: str, k: torch.Tensor) -> torch.Tensor:
    """Amplitude of harmonic ``k`` (1, 2, ...) of a basic waveform (sine phase), peak about 1."""
    kf = k.to(torch.float32)
    if shape == "sine":
        return (k == 1).to(torch.float32)
    if shape == "saw":
        return (2.0 / math.pi) * torch.where(k % 2 == 1, 1.0, -1.0) / kf
    if shape == "square":
        return (4.0 / math.pi) * (k % 2 == 1).to(torch.float32) / kf
    if shape == "triangle":
        sign = torch.where((k // 2) % 2 == 0, 1.0, -1.0)
        return (8.0 / math.pi**2) * (k % 2 == 1).to(torch.float32) * sign / kf**2
    raise ValueError(f"unknown waveform {shape!r}; expected sine, saw, square or triangle")


def lowpass_gain(freq: torch.Tensor, cutoff: torch.Tensor, resonance: torch.Tensor | float,
                 *, poles: int = 4) -> torch.Tensor:
    """Magnitude of a resonant lowpass (``poles`` 2 or 4) at ``freq``: applied to harmonics directly."""
    q = 0.7071 * (1.0 + 8.0 * torch.as_tensor(resonance) ** 2)
    r = freq / cutoff
    mag2 = 1.0 / ((1.0 - r**2) ** 2 + (r / q) ** 2)
    return mag2 if poles == 4 else torch.sqrt(mag2)


def wavetables(amplitudes: torch.Tensor) -> torch.Tensor:
    """One-cycle tables ``(rows, TABLE_SIZE + 1)`` from harmonic amplitudes ``(rows, K)`` (sine phase).

    The extra sample repeats the first, so linear interpolation never wraps.
    """
    rows, k = amplitudes.shape
    spec = torch.zeros(rows, TABLE_SIZE // 2 + 1, dtype=torch.complex64)
    spec[:, 1:k + 1] = -0.5j * TABLE_SIZE * amplitudes.to(torch.complex64)
    table = torch.fft.irfft(spec, TABLE_SIZE)
    return torch.cat([table, table[:, :1]], dim=1)


PHASE_BITS = 32
FRAC_BITS = PHASE_BITS - (TABLE_SIZE.bit_length() - 1)


def wrap32(x: torch.Tensor | int) -> torch.Tensor:
    """Integers taken modulo 2**32 as int32 (two's complement): the fixed-point phase type."""
    x = torch.as_tensor(x, dtype=torch.int64)
    return (x & (2**PHASE_BITS - 1)).to(torch.int32)


def phase_step(freq: torch.Tensor, sr: int) -> torch.Tensor:
    """A phase increment per sample in 32-bit fixed point (2**32 is one cycle), int32."""
    return wrap32(torch.round(freq.to(torch.float64) / sr * 2.0**PHASE_BITS).to(torch.int64))


def fixed_phase(n: torch.Tensor, step: torch.Tensor, offset: torch.Tensor | int = 0) -> torch.Tensor:
    """Fixed-point phase at local sample ``n`` (int32): integer arithmetic that wraps at one cycle,
    exact for any note length, so long notes never drift."""
    return n.to(torch.int32) * step + wrap32(offset)


def pack_tables(*layers: torch.Tensor) -> torch.Tensor:
    """Tables from :func:`wavetables` packed for :func:`read_table`: ``(layers, rows * TABLE_SIZE)``.

    Each entry holds one table position's sample and the next one as the bits of two
    float32 in one int64, so one 64-bit gather fetches all an interpolated read needs
    (several times faster than gathering rows of a float matrix). Tables that carry
    gradients (fitting a patch to a target sound) stay float, ``(layers, rows * TABLE_SIZE, 2)``.
    """
    pairs = torch.stack([torch.stack([t[:, :-1], t[:, 1:]], dim=-1).reshape(-1, 2) for t in layers])
    return pairs if pairs.requires_grad else pairs.contiguous().view(torch.int64).squeeze(-1)


def read_table(packed: torch.Tensor, row: torch.Tensor, phase: torch.Tensor,
               blend: torch.Tensor | None = None) -> torch.Tensor:
    """Packed tables (see :func:`pack_tables`) read at ``phase`` by linear interpolation.

    ``row`` (int, broadcast against ``phase``) picks each sample's table; ``phase`` is
    cycles (float, wrapped) or 32-bit fixed point (int32, from :func:`fixed_phase`: the top
    bits index the table, the rest interpolate). With two layers, ``blend`` (0-1, broadcast)
    crossfades from the first to the second. The result has the shape of ``phase``.
    """
    if phase.dtype == torch.int32:
        i0 = (phase >> FRAC_BITS) & (TABLE_SIZE - 1)
        frac = (phase & (2**FRAC_BITS - 1)).to(torch.float32) * (1.0 / 2**FRAC_BITS)
    else:
        pos = (phase - torch.floor(phase)) * TABLE_SIZE
        i0 = pos.to(torch.int32)
        frac = pos - i0
    index = (i0 + row.to(torch.int32) * TABLE_SIZE).reshape(-1)
    f = frac.reshape(-1)

    def layer(k: int) -> torch.Tensor:
        g = packed[k].index_select(0, index)
        g = g.view(torch.float32).reshape(-1, 2) if g.dtype == torch.int64 else g
        return torch.lerp(g[:, 0], g[:, 1], f)

    out = layer(0)
    if packed.shape[0] == 2 and blend is not None:
        out = torch.lerp(out, layer(1), blend.expand(phase.shape).reshape(-1))
    return out.reshape(phase.shape)


def adsr(t: torch.Tensor, gate: torch.Tensor, *, attack: float, decay: torch.Tensor | float,
         sustain: float, release: float, end: torch.Tensor) -> torch.Tensor:
    """Amplitude envelope at time ``t`` (s) for a note held ``gate`` s that stops at ``end`` s.

    Attack rises as a raised-cosine quarter (no click); decay falls exponentially to
    ``sustain`` (``decay`` and ``release`` are times to fall 60 dB); after the gate it releases exponentially, bent so it lands exactly on zero
    at ``end``: the note never stops with a jump.
    """
    def held(tt: torch.Tensor) -> torch.Tensor:
        rise = torch.sin(0.5 * math.pi * torch.clamp(tt / max(attack, 1e-4), 0.0, 1.0)) ** 2
        fall = sustain + (1.0 - sustain) * torch.exp(-6.9 * torch.clamp(tt - attack, min=0.0) / decay)
        return rise * fall

    tau = max(release, 1e-4) / 6.9  # release is the time to fall 60 dB
    after = torch.clamp(t - gate, min=0.0)
    floor = torch.exp(-(end - gate).clamp(min=1e-6) / tau)
    rel = (torch.exp(-after / tau) - floor) / (1.0 - floor)
    return held(torch.minimum(t, gate)) * torch.clamp(rel, 0.0, 1.0)


def noise(n: int, *, seed: int) -> torch.Tensor:
    """Gaussian white noise of ``n`` samples from its own generator (reproducible for ``seed``)."""
    g = torch.Generator().manual_seed(int(seed) % (2**63))
    return torch.randn(n, generator=g)


def _delay_phasors(delay: torch.Tensor, nfft: int) -> torch.Tensor:
    """``exp(-i w delay)`` (complex64) on the ``nfft`` rfft grid, one row per delay.

    Bin ``k = a * B + b`` is the product of a coarse and a fine phasor from two short
    tables whose angles are worked out in double precision: exact to single precision, for
    one complex multiply per bin (rather than a sine and a cosine, or a running product).
    """
    bins = nfft // 2 + 1
    width = math.isqrt(bins - 1) + 1
    rows = -(-bins // width)
    w = (-2 * math.pi / nfft) * delay.to(torch.float64)[:, None]
    one = torch.ones((), dtype=torch.float64)
    fine = torch.polar(one, w * torch.arange(width, dtype=torch.float64)).to(torch.complex64)
    coarse = torch.polar(one, w * (width * torch.arange(rows, dtype=torch.float64))).to(torch.complex64)
    return (coarse[:, :, None] * fine[:, None, :]).reshape(len(delay), rows * width)[:, :bins]


def karplus_strong(freq: torch.Tensor, length: int, sr: int, *, decay: torch.Tensor,
                   brightness: float = 0.5, pick: float = 0.15, seed: int = 0) -> torch.Tensor:
    """Plucked strings ``(notes, length)``: Karplus–Strong, solved exactly in the frequency domain.

    The string loop ``y[n] = x[n] + g (s y[n-D] + (1-s) y[n-D-1])`` is linear and
    time-invariant, so its output is the excitation times ``1 / (1 - g z^-D A(z))``. In the
    frequency domain the delay ``D`` can be fractional, so every note is exactly in tune.
    ``decay`` is each note's 60 dB time of the fundamental in seconds, ``brightness`` (0-1)
    how slowly the treble dies (the loop filter), ``pick`` the plucking point along the
    string (a comb that shapes the excitation).
    """
    nfft = next_fast_len(max(1024, 4 * length), real=True)  # 2, 3 and 5 only: a fast size
    # A transform of nfft samples wraps the string's ringing past nfft back onto its start.
    # Solving for y[n] rho^n instead (z -> z / rho everywhere) shrinks what wraps by
    # rho^nfft = 1e-7; dividing rho^n out afterwards gives the string's true output.
    rho = math.exp(math.log(1e-7) / nfft)
    period = sr / freq.to(torch.float64)
    s = 0.5 + 0.45 * (brightness - 0.5)  # loop filter (1-s) + s z^-1 delays s samples at DC
    d = (period - s)[:, None]
    w = 2 * math.pi * torch.arange(nfft // 2 + 1, dtype=torch.float64)[None, :] / nfft
    loop_filter = ((1 - s) + s * rho * torch.exp(-1j * w)).to(torch.complex64)
    g = torch.pow(torch.tensor(1e-3, dtype=torch.float64), period / (sr * decay.to(torch.float64)))[:, None]
    # Phases are built in double precision; the rest is well conditioned in single.
    loop = _delay_phasors(d[:, 0], nfft) * ((g * rho**d).to(torch.float32) * loop_filter)
    burst_len = int(period.max().item()) + 1
    burst = torch.stack([noise(burst_len, seed=seed * 7919 + i) for i in range(len(freq))])
    mask = torch.arange(burst_len)[None, :] < period[:, None]
    burst = (burst * mask).to(torch.float64)
    burst = burst - burst.sum(dim=1, keepdim=True) / period[:, None] * mask  # no DC in the loop
    x = torch.fft.rfft((burst * rho ** torch.arange(burst_len, dtype=torch.float64)).to(torch.float32), nfft)
    lag = pick * period
    comb = 1.0 - _delay_phasors(lag, nfft) * (rho**lag).to(torch.float32)[:, None]
    y = torch.fft.irfft(x * comb / (1.0 - loop), nfft)[:, :length]
    y = y * (-math.log(rho) * torch.arange(length, dtype=torch.float64)).exp().to(torch.float32)
    return y / y.abs().amax(dim=1, keepdim=True).clamp(min=1e-9)


def overlap_add(out: np.ndarray, audio: np.ndarray, offsets: np.ndarray, lengths: np.ndarray,
                uid: np.ndarray, onset: np.ndarray, *, wrap: bool, gain: np.ndarray | None = None,
                cut: np.ndarray | None = None, fade: int = 220) -> None:
    """Add sound ``uid[i]`` at sample ``onset[i]`` into ``out`` ``(channels, samples)``, in place.

    Sound ``u`` is ``audio[:, offsets[u] : offsets[u] + lengths[u]]`` (one channel is added to
    every channel of ``out``); ``wrap`` folds what runs past the end back to the start (a
    loop). ``gain`` scales each occurrence and ``cut`` stops one early (a choked hi-hat) with
    a ``fade``-sample ramp. Each placement is one contiguous add, so this runs at memory speed.

    >>> out = np.zeros((1, 5), np.float32)
    >>> overlap_add(out, np.ones((1, 3), np.float32), np.array([0]), np.array([3]), np.array([0, 0]),
    ...             np.array([0, 3]), wrap=True)
    >>> out.tolist()
    [[2.0, 1.0, 1.0, 1.0, 1.0]]
    """
    total = out.shape[1]
    ramp = np.linspace(1.0, 0.0, fade, dtype=np.float32)
    for i, u in enumerate(uid.tolist()):
        length = int(lengths[u]) if cut is None else int(min(lengths[u], cut[i]))
        seg = audio[:, int(offsets[u]):int(offsets[u]) + length]
        if gain is not None:
            seg = seg * np.float32(gain[i])
        if cut is not None and length < lengths[u]:
            seg = seg.copy() if gain is None else seg
            k = min(fade, length)
            seg[:, length - k:] *= ramp[fade - k:]
        at = int(onset[i])
        if not wrap:
            out[:, at:at + length] += seg
            continue
        at %= total
        done = 0
        while done < length:
            k = min(length - done, total - at)
            out[:, at:at + k] += seg[:, done:done + k]
            done, at = done + k, 0
