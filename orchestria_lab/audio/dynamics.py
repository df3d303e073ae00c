"""Dynamics: compressor, look-ahead limiter and ITU-R BS.1770 loudness.

The gain computers run at a control rate of one value per :data:`BLOCK` samples and the
gain is interpolated back to audio rate, which keeps them vectorised and fast. Release is
linear in decibels (the way analogue program compressors recover) and is computed without
a sample loop: a peak-hold with a constant fall of ``r`` dB per step is
``cummax(x + r n) - r n``.

>>> import numpy as np
>>> sr = 8000
>>> t = np.arange(sr) / sr
>>> loud = (0.9 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[None].repeat(2, 0)
>>> out = limiter(loud * 4, sr, ceiling=-1.0)
>>> bool(np.abs(out).max() <= 10 ** (-1 / 20))
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
import scipy.signal as sig
from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d

from orchestria_lab.audio.dsp import as_audio, db_to_gain, gain_to_db

BLOCK = 32
LUFS_FLOOR = -70.0


def _block_peak(audio: np.ndarray, block: int) -> np.ndarray:
    """Linked (max over channels) peak of each block of ``block`` samples, in dB."""
    c, n = audio.shape
    nb = -(-n // block)
    if n == 0:
        return np.zeros(0)
    # reduceat over the flattened magnitudes is several times faster than max along a short axis
    starts = (np.arange(c)[:, None] * n + np.arange(0, n, block)[None, :]).reshape(-1)
    peak = np.maximum.reduceat(np.abs(audio).reshape(-1), starts).reshape(c, nb).max(axis=0)
    return gain_to_db(peak.astype(np.float64), floor=1e-9)


def _release(reduction_db: np.ndarray, db_per_block: float) -> np.ndarray:
    """Peak-hold of ``reduction_db`` that falls back by ``db_per_block`` each block."""
    ramp = db_per_block * np.arange(len(reduction_db))
    return np.maximum.accumulate(reduction_db + ramp) - ramp


def apply_gains(x: np.ndarray, gains: np.ndarray, block: int, *, ceiling_db: float | None = None,
                 out: np.ndarray | None = None, dc: np.ndarray | None = None, first: int = 0) -> np.ndarray:
    """``x`` (less ``dc``, one value per channel) times block-rate ``gains`` (one per block,
    at its centre, interpolated linearly between centres), clipped at ``ceiling_db`` dBFS if
    given; into ``out`` (may be ``x``). ``x`` may be a piece of a longer signal that starts
    at block ``first`` of ``gains``.

    >>> apply_gains(np.ones((1, 8), np.float32), np.array([1.0, 0.5]), 4)[0].astype(float).round(3).tolist()
    [1.0, 1.0, 0.938, 0.812, 0.688, 0.562, 0.5, 0.5]
    """
    from orchestria_lab.audio.kernels import kernel

    out = np.empty_like(x) if out is None else out
    if ceiling_db is None:
        limit = np.inf
    else:  # the largest float32 at or under the ceiling, so rounding never lands above it
        exact = float(db_to_gain(ceiling_db))
        nearest = np.float32(exact)
        limit = float(nearest if float(nearest) <= exact else np.nextafter(nearest, np.float32(0)))
    dc = np.zeros(x.shape[0]) if dc is None else dc
    kernel("block_gain")(x, out, dc, np.ascontiguousarray(gains, dtype=np.float64), block, limit, first)
    return out


def compressor(audio: np.ndarray, sr: int, *, threshold: float = -18.0, ratio: float = 4.0,
               attack: float = 10.0, release: float = 120.0, makeup: float = 0.0,
               knee: float = 6.0, lookahead: float = 0.0) -> np.ndarray:
    """Feed-forward, stereo-linked compressor with a soft knee.

    ``threshold`` and ``makeup`` in dB, ``attack`` and ``release`` in ms (release is the
    time to recover 10 dB of gain reduction). ``lookahead`` (ms) moves the gain earlier
    than the sound, so even a slow attack has clamped down when a transient arrives
    (with none, transients pass: punch). Returns float32 ``(channels, samples)``.

    >>> import numpy as np
    >>> x = np.full((1, 4000), 0.5, np.float32)
    >>> y = compressor(x, 8000, threshold=-20.0, ratio=4.0, knee=0.0)
    >>> round(float(20 * np.log10(y[0, -1])), 1)   # -6 dB in: 14 dB over, 3.5 dB over out
    -16.5
    """
    x = as_audio(audio)
    block = 1 << max(1, min(BLOCK, int(sr * attack / 1000 / 2)).bit_length() - 1)  # a power of two
    level = _block_peak(x, block)
    over = level - threshold
    half = knee / 2.0
    slope = 1.0 - 1.0 / ratio
    reduction = np.where(over <= -half, 0.0,
                         np.where(over >= half, slope * over,
                                  slope * (over + half) ** 2 / (2.0 * knee) if knee > 0 else 0.0))
    per_block = block / sr
    held = _release(reduction, 10.0 * per_block / (release / 1000.0))
    if attack > 0:
        a = float(np.exp(-per_block / (attack / 1000.0)))
        held = sig.lfilter([1.0 - a], [1.0, -a], held)
    ahead = min(int(round(lookahead / 1000 * sr / block)), len(held) - 1)
    if ahead > 0:
        held = np.concatenate([held[ahead:], np.full(ahead, held[-1])])
    return apply_gains(x, db_to_gain(makeup - held), block)


def _limiter_gains(peak_db: np.ndarray, sr: int, block: int, *, ceiling: float, release: float,
                   lookahead: float, wrap: bool = False) -> np.ndarray:
    """Linear gain per block that keeps every block's peak at or under ``ceiling``.

    Look-ahead ramps the gain down before a peak, release recovers 10 dB per ``release`` ms,
    and each block takes the least gain of itself and its neighbours, so the gain linearly
    interpolated between block centres never exceeds what any sample's own block needs.
    ``wrap`` treats the blocks as a loop (the start hears the end's release).
    """
    need = np.maximum(peak_db - ceiling, 0.0)
    span = max(1, int(round(lookahead / 1000 * sr / block)) + 1)
    warm = min(len(need), span + int(np.ceil(3 * release / 1000 * sr / block)) + 2) if wrap else 0
    if warm:
        need = np.concatenate([need[-warm:], need, need[:span]])
    held = maximum_filter1d(need, size=span, origin=-(span // 2), mode="nearest")
    ramp = np.maximum(uniform_filter1d(held, size=span, origin=(span - 1) // 2, mode="nearest"), need)
    held = _release(ramp, 10.0 * (block / sr) / (max(release, 1.0) / 1000.0))
    gains = minimum_filter1d(db_to_gain(-held), size=3, mode="nearest")
    return gains[warm:len(gains) - span] if warm else gains


def limiter(audio: np.ndarray, sr: int, *, ceiling: float = -1.0, gain: float = 0.0,
            release: float = 60.0, lookahead: float = 3.0) -> np.ndarray:
    """Look-ahead brickwall limiter: no sample leaves above ``ceiling`` dBFS.

    ``gain`` (dB) drives the input into the limiter; ``release`` (ms) is the time to
    recover 10 dB; ``lookahead`` (ms) is how early the gain starts to fall before a peak,
    so peaks are caught without distortion. Offline, so the look-ahead adds no latency.
    """
    x = as_audio(audio)
    n = x.shape[1]
    if n == 0:
        return x
    g = _limiter_gains(_block_peak(x, BLOCK) + gain, sr, BLOCK, ceiling=ceiling, release=release,
                       lookahead=lookahead) * db_to_gain(gain)
    return apply_gains(x, g, BLOCK, ceiling_db=ceiling)


@dataclass(frozen=True)
class MasterBus:
    """The master bus's settings: gentle glue compression, then a true-peak limiter. The glue is a
    stereo-linked RMS compressor listening through the K-weighting (so the low end does not pump
    it): over ``glue_threshold_lu`` above the mix's own integrated loudness it compresses at
    ``glue_ratio``, by at most ``glue_max_db``; the limiter holds every true peak under the ceiling.
    Exports write these into their manifests."""

    glue_threshold_lu: float = 4.0
    glue_ratio: float = 2.0
    glue_attack_ms: float = 10.0
    glue_release_ms: float = 200.0
    glue_window_ms: float = 10.0
    glue_max_db: float = 3.0
    limiter_release_ms: float = 60.0
    limiter_lookahead_ms: float = 3.0

    def to_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


MASTER_BUS = MasterBus()


def master(mix: np.ndarray, sr: int, *, loop: bool, target_lufs: float = -14.0, ceiling: float = -1.0,
           bus: MasterBus = MASTER_BUS) -> np.ndarray:
    """The master bus: DC removed, glue compression, ``target_lufs`` integrated loudness, true peaks
    at most ``ceiling`` dBTP (``bus`` holds the rest of its settings).

    One compiled pass measures the K-weighted loudness and the peak of every block; the glue's
    and the limiter's gains are worked out per block too, so the loudness after them is known
    without filtering again and a second push into the limiter (when limiting cost loudness)
    costs almost nothing. The audio is read three times (DC, measure, gain), and written once.
    ``loop`` wraps the limiter's release round. ``mix`` is consumed (its DC is removed in place).

    >>> rng = np.random.default_rng(0)
    >>> out = master((rng.standard_normal((2, 48000)) * 0.01).astype(np.float32), 48000, loop=True)
    >>> round(integrated_loudness(out, 48000), 1), bool(true_peak(out, 48000) <= 10 ** (-1 / 20))
    (-14.0, True)
    """
    x = as_audio(mix)
    n = x.shape[1]
    if n == 0:
        return x
    dc = x.mean(axis=1, dtype=np.float64)  # taken away by the passes below, not by one of its own
    block = loudness_block(sr)
    power, peak = block_stats(x, sr, block, dc=dc)
    g = master_gains(power, peak, sr, block, loop=loop, target_lufs=target_lufs, ceiling=ceiling, bus=bus,
                     true_peak=lambda blocks: true_block_peaks(x, blocks, block, dc=dc))
    return apply_gains(x, g, block, ceiling_db=ceiling, out=x, dc=dc)


def glue_reduction(power: np.ndarray, block: int, sr: int, loudness: float, bus: MasterBus = MASTER_BUS) -> np.ndarray:
    """The glue compressor's gain reduction (dB, >= 0) for each block, from the blocks' K-weighted
    energy: its RMS over ``bus.glue_window_ms``, over a soft 6 dB knee at ``bus.glue_threshold_lu``
    above ``loudness``, attack and release at block rate.

    >>> steady = np.full(4000, 0.01)
    >>> bool(glue_reduction(steady, 32, 48000, -23.0).max() == 0.0)   # a steady mix at its own loudness
    True
    """
    per = max(1, int(round(bus.glue_window_ms / 1000 * sr / block)))
    window = uniform_filter1d(power / block, size=per, mode="nearest")
    with np.errstate(divide="ignore"):
        level = -0.691 + 10 * np.log10(np.maximum(window, 1e-20))
    over = level - (loudness + bus.glue_threshold_lu)
    slope, half = 1.0 - 1.0 / bus.glue_ratio, 3.0
    reduction = np.where(over <= -half, 0.0, np.where(over >= half, slope * over, slope * (over + half) ** 2 / (4 * half)))
    per_block = block / sr
    held = _release(np.minimum(reduction, bus.glue_max_db), 10.0 * per_block / (bus.glue_release_ms / 1000.0))
    a = float(np.exp(-per_block / (bus.glue_attack_ms / 1000.0)))
    return np.clip(sig.lfilter([1.0 - a], [1.0, -a], held), 0.0, bus.glue_max_db)


def master_gains(power: np.ndarray, peak: np.ndarray, sr: int, block: int, *, loop: bool,
                 target_lufs: float = -14.0, ceiling: float = -1.0, bus: MasterBus = MASTER_BUS,
                 true_peak: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """The master bus's gain for each block of ``block`` samples, from the blocks' K-weighted
    energy and peak (:func:`block_stats`): the glue's gain, the loudness gain to ``target_lufs``
    and the limiter's gain under ``ceiling``, found without touching the audio again, so a mix too
    long to hold can be mastered a piece at a time (:mod:`orchestria_lab.audio.stream`), and its
    stems given the same gain (they then sum to the mix).

    ``true_peak(blocks)`` gives the true (inter-sample) peak of the blocks named; it is asked only
    for blocks whose sample peak comes within :data:`TRUE_PEAK_MARGIN_DB` of the ceiling, and the
    limiter then holds the true peak, not only the samples, under the ceiling."""
    loudness = gated_loudness(power, block, sr)
    if not np.isfinite(loudness):
        return np.ones(len(power))
    glue_db = glue_reduction(power, block, sr, loudness, bus)
    glue = db_to_gain(-glue_db)
    peak = np.array(peak, dtype=np.float64)
    measured = np.zeros(len(peak), bool)

    def gains(gain_db: float) -> np.ndarray:
        if true_peak is not None:  # the blocks this gain brings near the ceiling, measured between samples
            reach = gain_to_db(peak, floor=1e-9) - glue_db + gain_db
            near = np.flatnonzero(~measured & (reach > ceiling - TRUE_PEAK_MARGIN_DB))
            if len(near):
                peak[near] = np.maximum(peak[near], true_peak(near))
                measured[near] = True
        return _limiter_gains(gain_to_db(peak, floor=1e-9) - glue_db + gain_db, sr, block, ceiling=ceiling - TRUE_PEAK_SAFETY_DB,
                              release=bus.limiter_release_ms, lookahead=bus.limiter_lookahead_ms,
                              wrap=loop) * db_to_gain(gain_db) * glue

    gain = target_lufs - gated_loudness(power * glue**2, block, sr)
    g = gains(gain)
    short = target_lufs - gated_loudness(power * g**2, block, sr)
    if short > 0.3:  # the limiter took some loudness away: push once more into it
        g = gains(gain + short)
    return g


#: A block whose sample peak comes this close to the ceiling has its true peak measured too: between
#: samples, music peaks rarely more than 1 dB over its samples, and never 3 with 4x oversampling.
TRUE_PEAK_MARGIN_DB = 3.0
#: The limiter holds true peaks this far under the ceiling: the glue's gain moves between the blocks
#: the limiter works in, and meters read between samples a little differently.
TRUE_PEAK_SAFETY_DB = 0.1
#: Taps per phase of the 4x interpolator the true-peak measure reads between samples with.
_TRUE_PEAK_WIDTH = 24


@lru_cache(maxsize=1)
def true_peak_taps() -> np.ndarray:
    """The three phases (a quarter, a half and three quarters of a sample on) of a 4x oversampling
    interpolator, as BS.1770-4 Annex 2 describes its true-peak meter: a Kaiser-windowed lowpass at
    the original Nyquist (the filter ``scipy.signal.resample_poly`` uses, so the two read the same
    peaks to 0.01 dB), split into its phases of :data:`_TRUE_PEAK_WIDTH` taps; float64
    ``(3, width)``, each phase summing to 1."""
    width = _TRUE_PEAK_WIDTH
    h = sig.firwin(4 * width + 1, 0.25, window=("kaiser", 5.0))  # centred on tap 2 * width
    j = np.arange(width)
    taps = np.array([h[p + 2 * width - 4 * (j - (width // 2 - 1))] for p in (1, 2, 3)])  # tap j reads x[i - w/2 + 1 + j]
    return taps / taps.sum(axis=1, keepdims=True)


def true_block_peaks(audio: np.ndarray, blocks: np.ndarray, block: int, *, dc: np.ndarray | None = None,
                     lead: int = 0) -> np.ndarray:
    """The true peak (BS.1770, 4x oversampled) of each block in ``blocks`` of ``audio`` less ``dc``;
    block 0 starts at sample ``lead``, and the samples before it and after the last block are what
    the interpolation reads across the edges."""
    from orchestria_lab.audio.kernels import kernel

    x = np.ascontiguousarray(audio, dtype=np.float32)
    dc = np.zeros(x.shape[0]) if dc is None else dc
    return kernel("true_peaks")(x, dc, lead, block, np.ascontiguousarray(blocks, dtype=np.int64), true_peak_taps())


def true_peak(audio: np.ndarray, sr: int) -> float:
    """The true peak (linear) of ``audio``: its largest magnitude at and between samples, 4x oversampled.

    >>> t = np.arange(4800)
    >>> tone = np.sin(2 * np.pi * (t / 8 + 1 / 16)).astype(np.float32)[None]   # crests between samples (and edges)
    >>> round(float(np.abs(tone).max()), 2), round(true_peak(tone, 48000), 2)
    (0.92, 1.01)
    """
    x = as_audio(audio)
    block = loudness_block(sr)
    _, peak = block_stats(x, sr, block)
    if not len(peak):
        return 0.0
    near = np.flatnonzero(peak > peak.max() * db_to_gain(-TRUE_PEAK_MARGIN_DB))
    return float(max(peak.max(), true_block_peaks(x, near, block).max(initial=0.0)))


def loudness_block(sr: int) -> int:
    """A block length near 32 samples that divides 100 ms exactly (BS.1770's hop)."""
    step = int(0.1 * sr)
    divisors = [b for b in range(16, 65) if step % b == 0]
    return min(divisors, key=lambda b: abs(b - 32)) if divisors else BLOCK


def block_stats(audio: np.ndarray, sr: int, block: int, *, dc: np.ndarray | None = None,
                zi: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per block of ``block`` samples of ``audio`` less ``dc`` (one value per channel): the
    K-weighted energy summed over channels, and the linked peak (float64). One compiled
    pass; the K-weighted signal is never stored. ``zi`` (float64 ``(channels, 4)``, zeros at
    first) carries the K-weighting's state from one piece of a signal to the next."""
    from orchestria_lab.audio.kernels import kernel

    x = np.ascontiguousarray(audio, dtype=np.float32)
    dc = np.zeros(x.shape[0]) if dc is None else dc
    zi = np.zeros((x.shape[0], 4)) if zi is None else zi
    return kernel("block_stats")(k_weighting(sr), x, dc, block, zi)



def gated_loudness(block_power: np.ndarray, block: int, sr: int) -> float:
    """BS.1770 gating over 400 ms windows (75 % overlap) built from per-block energies."""
    per_quarter = int(0.1 * sr) // block
    nq = len(block_power) // per_quarter
    if nq < 4:
        return float("-inf")
    quarters = block_power[: nq * per_quarter].reshape(nq, per_quarter).sum(axis=1) / (per_quarter * block)
    power = (quarters[:-3] + quarters[1:-2] + quarters[2:-1] + quarters[3:]) / 4.0
    with np.errstate(divide="ignore"):
        lufs = -0.691 + 10 * np.log10(power)
    gated = power[lufs > LUFS_FLOOR]
    if gated.size == 0:
        return float("-inf")
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    gated = power[(lufs > LUFS_FLOOR) & (lufs > relative)]
    return float(-0.691 + 10 * np.log10(gated.mean()))


def k_weighting(sr: int) -> np.ndarray:
    """The BS.1770 K-weighting (head shelf plus RLB highpass) for any sample rate, as SOS."""
    # Coefficients derived from the analogue prototypes, as in BS.1770-4 Annex 1.
    f0, g, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / sr)
    vh = 10 ** (g / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / sr)
    a0 = 1 + k / q + k * k
    hp = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, hp])


def integrated_loudness(audio: np.ndarray, sr: int) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770-4: K-weighting, 400 ms blocks, gates).

    Silence (or anything below the -70 LUFS absolute gate) returns ``-inf``.

    >>> import numpy as np
    >>> sr = 48000
    >>> t = np.arange(sr * 2) / sr
    >>> tone = np.sin(2 * np.pi * 997 * t).astype(np.float32)   # full-scale 1 kHz sine
    >>> round(integrated_loudness(tone[None], sr), 1)           # -3.01 LUFS in one channel
    -3.0
    """
    x = as_audio(audio)
    block = loudness_block(sr)
    usable = x.shape[1] // int(0.1 * sr) * int(0.1 * sr)
    return gated_loudness(block_stats(x[:, :usable], sr, block)[0], block, sr)
