"""Compiled inner loops for the recursions that no array operation can express.

A recursive filter's output depends on its own previous output, sample by sample, so it
cannot be written as whole-array numpy or torch operations; SciPy's ``sosfilt`` runs such
loops in C but one channel and one section at a time, with its state in memory. These
kernels are compiled by numba (on first use, cached on disk next to this file or in
``NUMBA_CACHE_DIR``) and run the two channels of a stereo signal side by side in one loop,
so each channel's dependency chain hides the other's latency; state and arithmetic are
float64, the audio float32. They release the GIL.

Every function here is plain Python with a compiled twin: ``kernel("biquads")`` compiles
and returns the twin, and the Python bodies document exactly what the twins compute.
Compiled code does not check its indices, so each kernel checks the shapes it is given
before it touches them.

>>> import numpy as np
>>> x = np.zeros((2, 6), np.float32); x[:, 0] = 1.0
>>> sos = np.array([[0.5, 0.0, 0.0, 1.0, -0.5, 0.0]])     # y[n] = 0.5 x[n] + 0.5 y[n-1]
>>> kernel("biquads")(sos, x, np.zeros((2, 1, 4)))[0].tolist()
[0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625]
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

#: Filter outputs smaller than this are stored as 0 (float32's smallest normal number is 1.2e-38).
DENORMAL_FLOOR = 1e-30


def biquads(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """``x`` float32 ``(channels, samples)`` through the cascade ``sos`` ``(sections, 6)``
    (normalised: ``a0 == 1``), direct form I in double precision; ``zi`` float64
    ``(channels, sections, 4)`` is each section's last two inputs and outputs, read and
    updated in place.

    Two independent recursions run side by side in each loop, so each one's latency hides
    behind the other's: two channels through one section, or an odd last channel (a mono
    signal) through two sections at once, the second reading the first's output as float32,
    as it would from memory."""
    channels, n = x.shape
    sections = sos.shape[0]
    if sos.shape[1] != 6 or zi.shape[0] != channels or zi.shape[1] != sections or zi.shape[2] != 4:
        raise ValueError("biquads: sos must be (sections, 6) and zi (channels, sections, 4)")
    if sections == 0:
        return x.copy()
    y = np.empty_like(x)
    for k in range(sections):
        b0, b1, b2, a1, a2 = sos[k, 0], sos[k, 1], sos[k, 2], sos[k, 4], sos[k, 5]
        for c in range(0, channels - 1, 2):  # two channels at a time
            su, sv = (x[c], x[c + 1]) if k == 0 else (y[c], y[c + 1])
            yu, yv = y[c], y[c + 1]
            u1, u2, w1, w2 = zi[c, k, 0], zi[c, k, 1], zi[c, k, 2], zi[c, k, 3]
            v1, v2, z1, z2 = zi[c + 1, k, 0], zi[c + 1, k, 1], zi[c + 1, k, 2], zi[c + 1, k, 3]
            for i in range(n):
                u, v = np.float64(su[i]), np.float64(sv[i])
                w = b0 * u + b1 * u1 + b2 * u2 - a1 * w1 - a2 * w2
                z = b0 * v + b1 * v1 + b2 * v2 - a1 * z1 - a2 * z2
                u2, u1, w2, w1 = u1, u, w1, w
                v2, v1, z2, z1 = v1, v, z1, z
                # A filter ringing out into silence decays towards denormal numbers, which cost a
                # hundred times more: what falls under the floor is stored, and kept, as 0.
                if abs(w) < DENORMAL_FLOOR:
                    w = w1 = 0.0
                    if abs(w2) < DENORMAL_FLOOR:
                        w2 = 0.0
                if abs(z) < DENORMAL_FLOOR:
                    z = z1 = 0.0
                    if abs(z2) < DENORMAL_FLOOR:
                        z2 = 0.0
                yu[i], yv[i] = w, z
            zi[c, k, 0], zi[c, k, 1], zi[c, k, 2], zi[c, k, 3] = u1, u2, w1, w2
            zi[c + 1, k, 0], zi[c + 1, k, 1], zi[c + 1, k, 2], zi[c + 1, k, 3] = v1, v2, z1, z2
    if channels % 2:
        c = channels - 1
        for k in range(0, sections, 2):  # this section and the next side by side
            q = min(k + 1, sections - 1)
            pair = q != k
            b0, b1, b2, a1, a2 = sos[k, 0], sos[k, 1], sos[k, 2], sos[k, 4], sos[k, 5]
            e0, e1, e2, f1, f2 = sos[q, 0], sos[q, 1], sos[q, 2], sos[q, 4], sos[q, 5]
            su, yu = x[c] if k == 0 else y[c], y[c]
            u1, u2, w1, w2 = zi[c, k, 0], zi[c, k, 1], zi[c, k, 2], zi[c, k, 3]
            p1, p2, r1, r2 = zi[c, q, 0], zi[c, q, 1], zi[c, q, 2], zi[c, q, 3]
            for i in range(n):
                u = np.float64(su[i])
                w = b0 * u + b1 * u1 + b2 * u2 - a1 * w1 - a2 * w2
                u2, u1, w2, w1 = u1, u, w1, w
                if abs(w) < DENORMAL_FLOOR:
                    w = w1 = 0.0
                    if abs(w2) < DENORMAL_FLOOR:
                        w2 = 0.0
                if pair:
                    p = np.float64(np.float32(w))
                    w = e0 * p + e1 * p1 + e2 * p2 - f1 * r1 - f2 * r2
                    p2, p1, r2, r1 = p1, p, r1, w
                    if abs(w) < DENORMAL_FLOOR:
                        w = r1 = 0.0
                        if abs(r2) < DENORMAL_FLOOR:
                            r2 = 0.0
                yu[i] = w
            zi[c, k, 0], zi[c, k, 1], zi[c, k, 2], zi[c, k, 3] = u1, u2, w1, w2
            if pair:
                zi[c, q, 0], zi[c, q, 1], zi[c, q, 2], zi[c, q, 3] = p1, p2, r1, r2
    return y


def block_stats(sos: np.ndarray, x: np.ndarray, offset: np.ndarray, block: int,
                zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per block of ``block`` samples (the last one partial), float64, of ``x - offset``
    (``offset`` one value per channel, a DC to take away): the energy filtered by the
    two-section cascade ``sos`` ``(2, 6)``, summed over channels, and the peak magnitude
    over all channels. One pass; the filtered signal is never stored, so a ten-minute mix
    costs no extra memory. ``zi`` float64 ``(channels, 4)`` is the cascade's state, read
    and updated in place: zeros for a signal on its own, and the same array again for the
    next piece of a signal fed a whole number of blocks at a time."""
    channels, n = x.shape
    if sos.shape[0] != 2 or sos.shape[1] != 6 or offset.shape[0] != channels or block < 1 \
            or zi.shape[0] != channels or zi.shape[1] != 4:
        raise ValueError("block_stats: sos must be (2, 6), offset one value per channel, zi (channels, 4), "
                         "block >= 1")
    blocks = (n + block - 1) // block
    energy = np.zeros(blocks)
    peak = np.zeros(blocks)
    b00, b01, b02, a01, a02 = sos[0, 0], sos[0, 1], sos[0, 2], sos[0, 4], sos[0, 5]
    b10, b11, b12, a11, a12 = sos[1, 0], sos[1, 1], sos[1, 2], sos[1, 4], sos[1, 5]
    for c in range(0, channels, 2):
        d = min(c + 1, channels - 1)
        second = 1.0 if d != c else 0.0
        p1, p2, q1, q2 = zi[c, 0], zi[c, 1], zi[c, 2], zi[c, 3]
        r1, r2, s1, s2 = zi[d, 0], zi[d, 1], zi[d, 2], zi[d, 3]
        for b in range(blocks):
            e = m = 0.0  # in registers: a block's sums touch memory once
            for i in range(b * block, min(n, (b + 1) * block)):
                u, v = np.float64(x[c, i]) - offset[c], np.float64(x[d, i]) - offset[d]
                uu, vv = b00 * u + p1, b00 * v + r1
                p1, r1 = b01 * u - a01 * uu + p2, b01 * v - a01 * vv + r2
                p2, r2 = b02 * u - a02 * uu, b02 * v - a02 * vv
                ww, zz = b10 * uu + q1, b10 * vv + s1
                q1, s1 = b11 * uu - a11 * ww + q2, b11 * vv - a11 * zz + s2
                q2, s2 = b12 * uu - a12 * ww, b12 * vv - a12 * zz
                e += ww * ww + second * zz * zz
                m = max(m, abs(u), abs(v))
            energy[b] += e
            peak[b] = max(peak[b], m)
        zi[c, 0], zi[c, 1], zi[c, 2], zi[c, 3] = p1, p2, q1, q2
        if d != c:
            zi[d, 0], zi[d, 1], zi[d, 2], zi[d, 3] = r1, r2, s1, s2
    return energy, peak


def block_gain(x: np.ndarray, out: np.ndarray, offset: np.ndarray, gains: np.ndarray, block: int,
               limit: float, first_block: int) -> None:
    """``out = clip((x - offset) * g, -limit, limit)`` (``out`` may be ``x``; ``offset`` one
    value per channel), where ``g`` interpolates
    ``gains`` (one per block of ``block`` samples, at its centre) linearly between centres
    and holds it flat before the first centre and after the last. ``x`` starts at block
    ``first_block`` of ``gains`` (0 for a whole signal; a piece of a longer one starts on a block
    edge), so a signal gained a piece at a time comes out as if gained whole."""
    channels, n = x.shape
    blocks = len(gains)
    if out.shape != x.shape or offset.shape[0] != channels or block < 1 or first_block < 0 \
            or first_block + (n + block - 1) // block > blocks \
            or (first_block + (n + block - 1) // block < blocks and n % block):
        raise ValueError("block_gain: out shaped as x, offset one value per channel, a gain for each block "
                         "from first_block on")
    half = block // 2
    step = 1.0 / block
    stretch = block * 2048
    g = np.empty(min(stretch, n + block))  # the gain curve of one stretch, shared by the channels
    for s0 in range(0, n, stretch):
        s1 = min(n, s0 + stretch)
        for k in range(s0 // block, (s1 + block - 1) // block):
            b = first_block + k
            here = gains[b]
            before = gains[b - 1] if b > 0 else here
            after = gains[b + 1] if b + 1 < blocks else gains[blocks - 1]
            start = k * block
            stop = min(n, start + block)
            # a straight line on each half block: from the last centre, then towards the next
            rise, fall = (here - before) * step, (after - here) * step
            first, second = before + rise * (0.5 + 0.5 * block), here + fall * (0.5 - 0.5 * block)
            for i in range(start, min(stop, start + half)):
                g[i - s0] = first + rise * (i - start)
            for i in range(start + half, stop):
                g[i - s0] = second + fall * (i - start)
        for c in range(channels):
            dc = offset[c]
            for i in range(s0, s1):
                out[c, i] = min(max((x[c, i] - dc) * g[i - s0], -limit), limit)


def true_peaks(x: np.ndarray, offset: np.ndarray, lead: int, block: int, blocks: np.ndarray,
               taps: np.ndarray) -> np.ndarray:
    """For each block in ``blocks`` (numbered from sample ``lead`` of ``x``, ``block`` samples
    each): the largest magnitude of ``x - offset`` at its samples and between them, at the points
    the interpolation ``taps`` (``(phases, width)``: each phase weights the ``width`` samples
    around, from ``width // 2 - 1`` before to ``width // 2`` after) places there: the true peak of
    BS.1770 with 4x oversampling when the phases sit a quarter, a half and three quarters of a
    sample on. Samples outside ``x`` count as silence."""
    channels, n = x.shape
    phases, width = taps.shape
    if offset.shape[0] != channels or block < 1 or lead < 0 or width < 2:
        raise ValueError("true_peaks: offset one value per channel, block >= 1, lead >= 0, taps (phases, width >= 2)")
    half = width // 2
    out = np.zeros(len(blocks))
    for k in range(len(blocks)):
        start = lead + blocks[k] * block
        m = 0.0
        for c in range(channels):
            dc = offset[c]
            for i in range(max(start, 0), min(n, start + block)):
                m = max(m, abs(np.float64(x[c, i]) - dc))
                for p in range(phases):
                    acc = 0.0
                    for j in range(width):
                        t = i - half + 1 + j
                        if 0 <= t < n:
                            acc += taps[p, j] * (np.float64(x[c, t]) - dc)
                    m = max(m, abs(acc))
        out[k] = m
    return out


def sample_voice(data: np.ndarray, out: np.ndarray, onset: int, gate: int, start: float, end: float,
                 loop_start: float, loop_end: float, looping: bool, ratio: float, env: np.ndarray,
                 gain_l: float, gain_r: float, wrap: bool) -> None:
    """Add one sampled voice (a SoundFont zone playing a note) into ``out`` (float32 ``(2, n)``)
    from sample ``onset``: ``data`` (int16) read from ``start`` at ``ratio`` samples per output
    sample, linearly interpolated, round ``loop_start .. loop_end`` while ``looping`` (else it
    stops at ``end``), shaped by the volume envelope ``env`` = (delay, attack, hold, decay in
    samples, sustain level, release in samples): attack linear, decay and release linear in dB
    (the times SF2 gives are for 100 dB). The note is held for ``gate`` samples; ``wrap`` plays
    what runs past the end of ``out`` at its start (a loop)."""
    n = out.shape[1]
    if n == 0 or data.shape[0] < 2 or not (0 <= start < end <= data.shape[0]) or env.shape[0] != 6:
        raise ValueError("sample_voice: start and end inside data, env of 6 values, out not empty")
    delay, attack, hold, decay, sustain, release = env[0], env[1], env[2], env[3], env[4], env[5]
    decay_step = sustain ** (1.0 / decay) if decay > 1.0 and sustain > 0.0 else 0.0
    release_step = 1e-5 ** (1.0 / max(release, 1.0))
    span = loop_end - loop_start
    pos = start
    e = 0.0
    i = 0
    while True:
        if i < gate:
            if i < delay:
                e = 0.0
            elif i < delay + attack:
                e = (i - delay + 1.0) / attack
            elif i < delay + attack + hold:
                e = 1.0
            elif i < delay + attack + hold + 1.0:
                e = 1.0 if decay > 1.0 else sustain  # the decay starts from the peak
            elif e > sustain:
                e = max(sustain, e * decay_step)
            else:
                e = sustain
        else:
            if i - gate >= release or e < 1e-6:
                break
            e *= release_step
        if looping:
            if pos >= loop_end:
                pos = loop_start + (pos - loop_start) % span
        elif pos >= end - 1.0:
            break
        k = int(pos)
        frac = pos - k
        k1 = k + 1
        if looping and k1 >= loop_end:
            k1 = int(loop_start) + (k1 - int(loop_end))
        v = (data[k] * (1.0 - frac) + data[k1] * frac) * (e / 32768.0)
        j = onset + i
        if j >= n:
            if not wrap:
                break
            j = j % n
        out[0, j] += v * gain_l
        out[1, j] += v * gain_r
        pos += ratio
        i += 1


def feedback_delay(x: np.ndarray, period: int, feedback: float, pole: float, ping_pong: bool,
                   dry: float, wet: float) -> np.ndarray:
    """A feedback delay, mono or stereo in, stereo out: ``dry * x + wet * e`` where the
    echoes ``e[t] = L(f + feedback * e)[t - period]``, ``L`` the one-pole lowpass
    ``v = (1 - pole) s + pole v`` and ``f`` the input; with ``ping_pong`` the mono sum of
    the input echoes first on the left, and each echo after lands on the other channel.
    A mono input without ping-pong echoes alike on both sides: one recursion serves both."""
    n = x.shape[1]
    if x.shape[0] not in (1, 2) or period < 1:
        raise ValueError("feedback_delay: one or two channels, and a period of at least one sample")
    left, right = x[0], x[x.shape[0] - 1]
    mono = x.shape[0] == 1 and not ping_pong
    e0 = np.zeros(n, np.float32)
    e1 = e0 if mono else np.zeros(n, np.float32)
    g = 1.0 - pole
    vl = vr = 0.0
    if ping_pong:
        for t in range(period, n):
            j = t - period
            vl = g * feedback * e0[j] + pole * vl
            vr = g * (0.5 * (np.float64(left[j]) + np.float64(right[j])) + feedback * e1[j]) + pole * vr
            e0[t], e1[t] = vr, vl
    elif mono:
        for t in range(period, n):
            vl = g * (np.float64(left[t - period]) + feedback * e0[t - period]) + pole * vl
            e0[t] = vl
    else:
        for t in range(period, n):
            j = t - period
            vl = g * (np.float64(left[j]) + feedback * e0[j]) + pole * vl
            vr = g * (np.float64(right[j]) + feedback * e1[j]) + pole * vr
            e0[t], e1[t] = vl, vr
    out = np.empty((2, n), np.float32)
    for t in range(n):
        out[0, t] = dry * left[t] + wet * e0[t]
    for t in range(n):
        out[1, t] = dry * right[t] + wet * e1[t]
    return out


def wavetable_voices(tables: np.ndarray, steps: np.ndarray, offsets: np.ndarray, gains: np.ndarray,
                     env: np.ndarray, hop: int, lengths: np.ndarray, blend: np.ndarray, vibrato: np.ndarray,
                     frac_bits: int) -> np.ndarray:
    """Unison voices reading per-note wavetables: float32 ``(channels, rows, samples)``.

    Row ``r`` (a note) reads ``tables`` float32 ``(layers, rows, size + 1)`` (the last sample
    repeats the first) at a 32-bit fixed-point phase that starts at ``offsets[v]`` and moves
    ``steps[v, r]`` a sample (int64 holding uint32: 2**32 is one cycle, so the phase wraps
    exactly however long the note), the top bits indexing the table and ``frac_bits`` bits
    interpolating. With two layers the read crossfades to the second by ``blend[n]`` (the
    filter envelope; ignored for one layer). ``vibrato`` = (rate Hz, depth as a frequency
    ratio minus one, delay s, sample rate, then each row's table frequency in Hz), empty for
    none, adds ``f c fade (1 - cos w t) / w`` cycles, fading in over 0.3 s after the delay.
    Voice ``v`` goes to channel ``c`` with ``gains[v, c]``; their sum is scaled by the
    amplitude envelope ``env`` float32 ``(rows, points)``, given every ``hop`` samples and drawn
    as straight lines between (``(1 - f) env[j] + f env[j + 1]`` in float32, as torch's linear
    interpolation draws it), so the rows are ``(points - 1) * hop`` samples long. Samples past
    ``lengths[r]`` stay 0.
    """
    layers, rows, width = tables.shape
    voices, channels = gains.shape
    samples = (env.shape[1] - 1) * hop
    size = width - 1
    if (steps.shape[0] != voices or steps.shape[1] != rows or offsets.shape[0] != voices or env.shape[0] != rows
            or lengths.shape[0] != rows or size < 2 or size & (size - 1) != 0 or not 0 < frac_bits < 32
            or hop < 1 or env.shape[1] < 2
            or (layers == 2 and blend.shape[0] < samples) or (vibrato.shape[0] != 0 and vibrato.shape[0] != 4 + rows)):
        raise ValueError("wavetable_voices: tables (layers, rows, 2**k + 1), steps (voices, rows), offsets "
                         "(voices,), env (rows, points >= 2), hop >= 1, lengths (rows,), blend (samples,), "
                         "vibrato empty or 4 + rows")
    out = np.zeros((channels, rows, samples), np.float32)
    # The phase is 32 bits in an int64, wrapped at one cycle by a mask; the sums are float32.
    # A voice at a time over a row (its phase in a register, one simple loop per layer count that
    # the compiler keeps free of branches), each adding into the row; the envelope scales the sum.
    cycle = np.int64(0xFFFFFFFF)
    shift = np.int64(frac_bits)
    frac_mask = np.int64((1 << frac_bits) - 1)
    scale = np.float32(1.0 / (1 << frac_bits))
    one, inv_hop = np.float32(1.0), np.float32(1.0 / hop)
    vibrating = vibrato.shape[0] != 0
    wobble = np.zeros(samples if vibrating else 0, np.int64)
    for r in range(rows):
        first, second = tables[0, r], tables[layers - 1, r]
        length = min(lengths[r], samples)
        if vibrating:
            w = 2.0 * np.pi * vibrato[0]
            depth = vibrato[4 + r] * vibrato[1] / w * 4294967296.0
            delay, sr = vibrato[2], vibrato[3]
            for i in range(length):
                t = i / sr
                fade = 1.0 if delay <= 0.0 else min(max((t - delay) / 0.3, 0.0), 1.0)
                wobble[i] = np.int64(depth * fade * (1.0 - np.cos(w * t))) & cycle
        left, right = out[0, r], out[channels - 1, r]
        for v in range(voices):
            phase = offsets[v] & cycle
            step = steps[v, r] & cycle
            g_left, g_right = np.float32(gains[v, 0]), np.float32(gains[v, channels - 1])
            for i in range(length):
                ph = (phase + wobble[i]) & cycle if vibrating else phase
                k = ph >> shift
                f = np.float32(ph & frac_mask) * scale
                a = first[k]
                x = a + (first[k + 1] - a) * f
                if layers == 2:
                    b = second[k]
                    x += (b + (second[k + 1] - b) * f - x) * blend[i]
                left[i] += x * g_left
                if channels == 2:
                    right[i] += x * g_right
                phase = (phase + step) & cycle
        e = env[r]
        for j in range((length + hop - 1) // hop):  # point by point: no division a sample
            for i in range(j * hop, min(length, (j + 1) * hop)):
                f = np.float32(i - j * hop) * inv_hop
                g = (one - f) * e[j] + f * e[j + 1]
                left[i] *= g
                if channels == 2:
                    right[i] *= g
    return out


#: Samples between exact evaluations of the swept delay's oscillators (rotated in between).
SWEEP_EXACT_EVERY = 256


def swept_delay(x: np.ndarray, start: int, sr: float, centre: float, lfos: np.ndarray) -> np.ndarray:
    """``x`` float32 ``(channels, samples)`` read through a swinging delay: float32, same shape.

    At sample ``i`` the read is ``d = centre + sum(depth * sin(2 pi rate (start + i) / sr + phase))``
    samples late (``lfos`` float64 ``(k, 3)``: depth in samples, rate in Hz, phase in radians;
    ``start`` places ``x[:, 0]`` in the whole piece, so pieces read apart sweep as one), linearly
    interpolated, silence before ``x`` starts; every channel reads through the same delay (a tape's
    two tracks on one capstan: the sweep is worked out once for all of them). Each oscillator is a
    phasor rotated one step a sample and set exactly every :data:`SWEEP_EXACT_EVERY` samples, so no
    error builds up; phase and read position are float64, whole and fractional samples apart, so
    long signals read as precisely as short ones. ``d`` must never be negative (``centre`` at
    least the depths' sum).
    """
    channels, n = x.shape
    if lfos.ndim != 2 or lfos.shape[1] != 3 or centre < np.abs(lfos[:, 0]).sum():
        raise ValueError("swept_delay: lfos must be (k, 3) and centre at least the sum of their depths")
    k = lfos.shape[0]
    base, step = np.empty(k), np.empty(k)
    sine, cosine, turn_cos, turn_sin = np.empty(k), np.empty(k), np.empty(k), np.empty(k)
    for j in range(k):
        base[j] = 2.0 * np.pi * ((start * lfos[j, 1] / sr) % 1.0) + lfos[j, 2]
        step[j] = 2.0 * np.pi * lfos[j, 1] / sr
        turn_cos[j], turn_sin[j] = np.cos(step[j]), np.sin(step[j])
    out = np.empty((channels, n), np.float32)
    for i in range(n):
        d = centre
        for j in range(k):
            if i % SWEEP_EXACT_EVERY == 0:
                sine[j], cosine[j] = np.sin(base[j] + i * step[j]), np.cos(base[j] + i * step[j])
            d += lfos[j, 0] * sine[j]
            sine[j], cosine[j] = (sine[j] * turn_cos[j] + cosine[j] * turn_sin[j],
                                  cosine[j] * turn_cos[j] - sine[j] * turn_sin[j])
        whole = int(d)  # d >= 0: truncation is the floor
        frac = d - whole
        at = i - whole
        for c in range(channels):
            a = np.float64(x[c, at]) if at >= 0 else 0.0
            b = np.float64(x[c, at - 1]) if at >= 1 else 0.0
            out[c, i] = a + (b - a) * frac
    return out


#: One cycle of a sine (and its first sample again), read by linear interpolation: within 3e-7 of
#: ``sin`` and several times quicker than calling it.
SINE_TABLE = np.sin(2.0 * np.pi * np.arange(4097) / 4096)


def fm_voices(f0: np.ndarray, ratio: float, index: np.ndarray, decay: float, vibrato: np.ndarray,
              env: np.ndarray, hop: int, lengths: np.ndarray, sr: float, sine: np.ndarray) -> np.ndarray:
    """Two-operator FM, one note a row: float32 ``(rows, samples)``.

    Row ``r`` is ``sin(2 pi c(i) + index[r] exp(-decay t) sin(2 pi m(i))) env[r, i]`` with the
    carrier at ``f0[r]`` Hz and the modulator at ``ratio`` times it, their phases in cycles
    worked out in float64 from the sample number (long notes stay in tune), both sines read
    from ``sine`` (:data:`SINE_TABLE`). ``vibrato`` = (rate Hz, depth as a frequency ratio
    minus one), empty for none, adds ``f0 c (1 - cos w t) / w`` cycles to the carrier.
    ``env`` float32 ``(rows, points)`` is the amplitude envelope every ``hop`` samples, drawn as
    :func:`wavetable_voices` draws it; the rows are ``(points - 1) * hop`` samples long.
    Samples past ``lengths[r]`` stay 0.
    """
    rows = env.shape[0]
    samples = (env.shape[1] - 1) * hop
    size = sine.shape[0] - 1
    if (f0.shape[0] != rows or index.shape[0] != rows or lengths.shape[0] != rows or vibrato.shape[0] not in (0, 2)
            or size < 2 or hop < 1 or env.shape[1] < 2):
        raise ValueError("fm_voices: f0, index and lengths one per row of env (rows, points >= 2), hop >= 1; "
                         "vibrato empty or (rate, depth); a sine table of 2 or more samples and its first again")
    out = np.zeros((rows, samples), np.float32)
    fall = np.exp(-decay / sr)
    w = 2.0 * np.pi * vibrato[0] if vibrato.shape[0] else 1.0
    inv_two_pi = 1.0 / (2.0 * np.pi)
    one, inv_hop = np.float32(1.0), np.float32(1.0 / hop)
    for r in range(rows):
        step_c, step_m = f0[r] / sr, f0[r] * ratio / sr
        wobble = f0[r] * vibrato[1] / w if vibrato.shape[0] else 0.0
        depth = index[r] * inv_two_pi  # in cycles of the carrier
        point, within = 0, 0  # where sample i falls between the envelope's points
        for i in range(min(lengths[r], samples)):
            m = i * step_m
            m = (m - np.floor(m)) * size
            k = int(m)
            mod = sine[k] + (sine[k + 1] - sine[k]) * (m - k)
            c = i * step_c + depth * mod
            if vibrato.shape[0]:
                c += wobble * (1.0 - np.cos(w * i / sr))
            c = (c - np.floor(c)) * size
            k = int(c)
            f = np.float32(within) * inv_hop
            e = (one - f) * env[r, point] + f * env[r, point + 1]
            out[r, i] = (sine[k] + (sine[k + 1] - sine[k]) * (c - k)) * e
            within += 1
            if within == hop:  # the next point of the envelope
                within = 0
                point += 1
            depth *= fall
    return out


_PYTHON: dict[str, Callable] = {
    "biquads": biquads, "block_stats": block_stats, "block_gain": block_gain, "feedback_delay": feedback_delay,
    "true_peaks": true_peaks, "sample_voice": sample_voice, "wavetable_voices": wavetable_voices,
    "swept_delay": swept_delay, "fm_voices": fm_voices,
}
_COMPILED: dict[str, Callable] = {}
_LOCK = threading.Lock()


def kernel(name: str) -> Callable:
    """The compiled twin of the function ``name`` in this module (compiled once per process,
    or loaded from numba's on-disk cache)."""
    fn = _COMPILED.get(name)
    if fn is None:
        with _LOCK:
            fn = _COMPILED.get(name)
            if fn is None:
                import numba

                try:
                    fn = numba.njit(cache=True, nogil=True)(_PYTHON[name])
                except RuntimeError:  # nowhere to keep compiled code: compile it in every process
                    fn = numba.njit(nogil=True)(_PYTHON[name])
                _COMPILED[name] = fn
    return fn


def warm() -> None:
    """Compile, or load from the cache, every kernel for the types rendering uses, so the
    first render of a process does not wait for it (about a second; ``orchestria serve``
    does this while it starts)."""
    x = np.zeros((2, 64), np.float32)
    kernel("biquads")(np.array([[1.0, 0, 0, 1.0, 0, 0]]), x, np.zeros((2, 1, 4)))
    kernel("block_stats")(np.array([[1.0, 0, 0, 1.0, 0, 0]] * 2), x, np.zeros(2), 32, np.zeros((2, 4)))
    kernel("block_gain")(x, np.empty_like(x), np.zeros(2), np.ones(2), 32, 1.0, 0)
    kernel("feedback_delay")(x, 16, 0.5, 0.0, False, 1.0, 0.5)
    kernel("true_peaks")(x, np.zeros(2), 0, 32, np.arange(2), np.ones((3, 12)) / 12)
    kernel("sample_voice")(np.zeros(64, np.int16), x, 0, 8, 0.0, 63.0, 8.0, 40.0, True, 1.0,
                           np.array([0.0, 1.0, 0.0, 4.0, 0.5, 8.0]), 0.5, 0.5, True)
    for channels in (x[:1], x):
        kernel("swept_delay")(channels, 0, 8000.0, 2.0, np.array([[1.0, 0.5, 0.0]]))
    for vibrato in (np.zeros(0), np.array([5.0, 0.01])):
        kernel("fm_voices")(np.full(1, 100.0), 2.0, np.ones(1), 1.0, vibrato, np.ones((1, 3), np.float32), 4,
                            np.full(1, 8, np.int64), 8000.0, SINE_TABLE)
    for layers, vibrato in ((1, np.zeros(0)), (2, np.array([5.0, 0.01, 0.25, 8000.0, 100.0]))):
        kernel("wavetable_voices")(np.zeros((layers, 1, 9), np.float32), np.ones((1, 1), np.int64),
                                   np.zeros(1, np.int64), np.ones((1, 1)), np.ones((1, 3), np.float32), 4,
                                   np.full(1, 8, np.int64), np.ones(8, np.float32), vibrato, 29)

