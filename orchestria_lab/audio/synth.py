"""The torch synth engine: the building blocks every instrument is made of.

All notes of a stem render in one vectorised pass over a *ragged* layout: the samples of
every note are laid end to end in one flat tensor, with each sample's note index and
local time, so there is no padding and no per-note Python loop. Oscillators are
band-limited per note (harmonic wavetables built from each note's own spectrum, so
nothing is ever generated above Nyquist), envelopes are closed-form, and the plucked
string is Karplus–Strong solved exactly in the frequency domain. Everything is made of
differentiable torch operations, so patch parameters can be fitted to a target sound.

>>> import torch
>>> lay = layout(torch.tensor([3, 2]))
>>> lay.note.tolist(), lay.n.tolist()
([0, 0, 0, 1, 1], [0, 1, 2, 0, 1])
>>> layout(torch.tensor([1, 1, 2])).n.tolist()
[0, 0, 0, 1]
>>> env = adsr(torch.arange(5) / 4.0, torch.full((5,), 0.5), attack=0.25, decay=0.5,
...            sustain=0.5, release=1.0, end=torch.full((5,), 1.0))
>>> [round(v, 2) for v in env.tolist()]
[0.0, 1.0, 0.52, 0.08, 0.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

TABLE_SIZE = 2048
HARMONICS = TABLE_SIZE // 2 - 1


def midi_to_hz(pitch: torch.Tensor | float) -> torch.Tensor:
    """Equal-tempered frequency of a MIDI pitch (A4 = 69 = 440 Hz)."""
    return 440.0 * torch.pow(2.0, (torch.as_tensor(pitch, dtype=torch.float64) - 69.0) / 12.0)


@dataclass(frozen=True)
class Layout:
    """Notes' samples laid end to end: ``note[i]`` and ``n[i]`` (local sample) of flat sample ``i``.

    Index tensors are int32: ``index_select`` with them is several times faster than
    advanced indexing with int64.
    """

    note: torch.Tensor
    n: torch.Tensor
    lengths: torch.Tensor
    offsets: torch.Tensor

    @property
    def size(self) -> int:
        return int(self.note.numel())

    def per_sample(self, values: torch.Tensor) -> torch.Tensor:
        """``values`` (one per note) spread to every sample of its note."""
        return values.index_select(0, self.note)


def layout(lengths: torch.Tensor) -> Layout:
    """The ragged layout of notes with ``lengths`` samples each (every length at least 1)."""
    lengths = lengths.to(torch.int64)
    offsets = torch.cumsum(lengths, 0) - lengths
    size = int(lengths.sum())
    starts = torch.zeros(size, dtype=torch.int32)
    step = torch.ones(size, dtype=torch.int32)
    if len(lengths) > 1:
        starts[offsets[1:]] = 1
        step[offsets[1:]] = (1 - lengths[:-1]).to(torch.int32)
    if size:
        step[0] = 0
    note = torch.cumsum(starts, 0, dtype=torch.int32)
    n = torch.cumsum(step, 0, dtype=torch.int32)
    return Layout(note, n, lengths, offsets)


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


def read_table(tables: torch.Tensor, row_start: torch.Tensor, cycles: torch.Tensor) -> torch.Tensor:
    """``tables`` read at phase ``cycles`` (any real; wrapped) by linear interpolation.

    ``row_start`` (int32, broadcast against ``cycles``) is the row times ``TABLE_SIZE + 1``,
    see :func:`row_starts`. The result has the shape of ``cycles``.
    """
    pos = (cycles - torch.floor(cycles)) * TABLE_SIZE
    i0 = pos.to(torch.int32)
    frac = pos - i0
    base = (row_start + i0).reshape(-1)
    flat = tables.reshape(-1)
    a = flat.index_select(0, base)
    return torch.lerp(a, flat.index_select(0, base + 1), frac.reshape(-1)).reshape(cycles.shape)


def row_starts(rows: torch.Tensor) -> torch.Tensor:
    """Offsets of table ``rows`` in the flattened tables, for :func:`read_table`."""
    return rows.to(torch.int32) * (TABLE_SIZE + 1)


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
    nfft = 1 << max(10, math.ceil(math.log2(length * 1.25)))
    period = sr / freq.to(torch.float64)
    s = 0.5 + 0.45 * (brightness - 0.5)  # loop filter (1-s) + s z^-1 delays s samples at DC
    d = (period - s)[:, None]
    w = 2 * math.pi * torch.arange(nfft // 2 + 1, dtype=torch.float64)[None, :] / nfft
    loop_filter = (1 - s) + s * torch.exp(-1j * w)
    g = torch.pow(torch.tensor(1e-3, dtype=torch.float64), period / (sr * decay.to(torch.float64)))[:, None]
    h = 1.0 / (1.0 - g * loop_filter * torch.exp(-1j * w * d))
    burst_len = int(period.max().item()) + 1
    burst = torch.stack([noise(burst_len, seed=seed * 7919 + i) for i in range(len(freq))])
    mask = torch.arange(burst_len)[None, :] < period[:, None]
    burst = (burst * mask).to(torch.float64)
    burst = burst - burst.sum(dim=1, keepdim=True) / period[:, None] * mask  # no DC in the loop
    x = torch.fft.rfft(burst, nfft)
    comb = 1.0 - torch.exp(-1j * w * (pick * period)[:, None])
    y = torch.fft.irfft(x * comb * h, nfft)[:, :length]
    return (y / y.abs().amax(dim=1, keepdim=True).clamp(min=1e-9)).to(torch.float32)


def overlap_add(out: torch.Tensor, audio: torch.Tensor, offsets: torch.Tensor, lengths: torch.Tensor,
                uid: torch.Tensor, onset: torch.Tensor, *, wrap: bool, gain: torch.Tensor | None = None,
                cut: torch.Tensor | None = None) -> None:
    """Add sound ``uid[i]`` at sample ``onset[i]`` into ``out`` ``(channels, samples)``, in place.

    Sound ``u`` is ``audio[:, offsets[u] : offsets[u] + lengths[u]]``; ``wrap`` folds what
    runs past the end back to the start (a loop). ``gain`` scales each occurrence and ``cut``
    stops one early (a choked hi-hat) with a 5 ms fade.
    """
    occ_len = lengths[uid] if cut is None else torch.minimum(lengths[uid], cut)
    occ = layout(occ_len.clamp(min=1))
    src = occ.per_sample(offsets[uid].to(torch.int32)) + occ.n
    dst = occ.per_sample(onset.to(torch.int32)) + occ.n
    if wrap:
        dst = torch.remainder(dst, out.shape[1])
    scale = None if gain is None else occ.per_sample(gain.to(torch.float32))
    if cut is not None:
        fade = torch.clamp((occ.per_sample(occ_len.to(torch.int32)) - occ.n).float() * (1.0 / 220.0), max=1.0)
        scale = fade if scale is None else scale * fade
    for ch in range(out.shape[0]):
        values = audio[min(ch, audio.shape[0] - 1)].index_select(0, src)
        out[ch].index_add_(0, dst, values if scale is None else values * scale)
