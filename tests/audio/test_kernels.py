"""The compiled kernels compute what their references say: SciPy's filters, NumPy's
interpolation, and their own Python bodies run uncompiled."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as sig

from orchestria_lab.audio import kernels
from orchestria_lab.audio.dsp import biquad, sosfilt
from orchestria_lab.audio.dynamics import k_weighting

SR = 44100


def noise(channels: int, n: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((channels, n)) * 0.3).astype(np.float32)


@pytest.mark.parametrize("channels", [1, 2, 3])
def test_biquads_match_scipy_in_double_precision(channels):
    sos = np.concatenate([biquad("lowshelf", 120, SR, gain_db=6), biquad("peaking", 1000, SR, q=4.0, gain_db=-9),
                          biquad("highpass", 30, SR)])
    x = noise(channels, 20000)
    expected = sig.sosfilt(sos, x.astype(np.float64), axis=-1)
    np.testing.assert_allclose(sosfilt(sos, x), expected, atol=1e-6)
    np.testing.assert_allclose(sosfilt(sos, x[0]), expected[0], atol=1e-6)  # one-dimensional audio too


@pytest.mark.parametrize("sections", [1, 2, 3, 4])
def test_a_mono_signal_through_two_sections_at_once_is_bit_for_bit_a_stereo_channel(sections):
    """A mono signal runs two sections of its cascade in one loop, a stereo pair one section at
    a time over both channels: the same numbers come out, and the state carries across calls."""
    sos = np.concatenate([biquad("lowshelf", 120, SR, gain_db=6), biquad("peaking", 1000, SR, q=4.0, gain_db=-9),
                          biquad("highpass", 30, SR), biquad("lowpass", 300, SR, q=8.0)])[:sections]
    x = noise(1, 9000)
    x[:, 6000:] = 0.0  # and rings out into silence
    fn = kernels.kernel("biquads")
    pair = fn(sos, np.concatenate([x, x]), np.zeros((2, sections, 4)))
    zi = np.zeros((1, sections, 4))
    mono = np.concatenate([fn(sos, x[:, :4000], zi), fn(sos, x[:, 4000:], zi)], axis=1)
    assert np.array_equal(mono[0], pair[0]) and np.array_equal(mono[0], pair[1])
    odd = fn(sos, np.concatenate([x, x, x]), np.zeros((3, sections, 4)))
    assert np.array_equal(odd, np.concatenate([pair, mono]))


def test_biquad_state_carries_across_calls():
    sos = biquad("lowpass", 300, SR, q=8.0)  # rings for a long time
    x = noise(2, 8000)
    fn = kernels.kernel("biquads")
    whole = fn(sos, x, np.zeros((2, 1, 4)))
    zi = np.zeros((2, 1, 4))
    halves = np.concatenate([fn(sos, x[:, :3000], zi), fn(sos, x[:, 3000:], zi)], axis=1)
    assert np.array_equal(halves, whole)


def test_block_stats_are_the_k_weighted_energy_and_the_linked_peak():
    x = noise(2, 10007)  # a partial last block
    x[1, 5000] = 2.5
    energy, peak = kernels.kernel("block_stats")(k_weighting(SR), x, np.zeros(2), 64, np.zeros((2, 4)))
    filtered = sig.sosfilt(k_weighting(SR), x.astype(np.float64), axis=-1) ** 2
    padded = np.pad(filtered.sum(axis=0), (0, -x.shape[1] % 64))
    np.testing.assert_allclose(energy, padded.reshape(-1, 64).sum(axis=1), rtol=1e-9)
    magnitude = np.pad(np.abs(x).max(axis=0), (0, -x.shape[1] % 64))
    np.testing.assert_array_equal(peak, magnitude.reshape(-1, 64).max(axis=1))
    assert peak[5000 // 64] == pytest.approx(2.5)


def test_block_gain_interpolates_between_block_centres_and_clips():
    block, gains = 8, np.array([1.0, 0.25, 2.0, 2.0, 0.5])
    x = np.full((2, 37), 0.8, np.float32)
    out = np.empty_like(x)
    kernels.kernel("block_gain")(x, out, np.zeros(2), gains, block, 1.0, 0)
    centres = np.arange(len(gains)) * block + (block - 1) / 2
    expected = np.clip(0.8 * np.interp(np.arange(37), centres, gains), -1.0, 1.0)  # flat beyond the ends
    np.testing.assert_allclose(out, np.broadcast_to(expected, x.shape), rtol=1e-6)


@pytest.mark.parametrize("channels", [1, 2, 3])
def test_block_stats_and_gain_in_pieces_give_what_they_give_whole(channels):
    x = noise(channels, 64 * 40 + 17, seed=3)  # the last piece ends in a partial block
    whole = kernels.kernel("block_stats")(k_weighting(SR), x, np.full(channels, 0.01), 64, np.zeros((channels, 4)))
    zi, parts = np.zeros((channels, 4)), []
    for s in range(0, x.shape[1], 64 * 7):
        parts.append(kernels.kernel("block_stats")(k_weighting(SR), np.ascontiguousarray(x[:, s:s + 64 * 7]),
                                                   np.full(channels, 0.01), 64, zi))
    for k in range(2):
        np.testing.assert_array_equal(np.concatenate([p[k] for p in parts]), whole[k])
    gains = np.random.default_rng(4).uniform(0.2, 2.0, len(whole[0]))
    out = np.empty_like(x)
    kernels.kernel("block_gain")(x, out, np.zeros(channels), gains, 64, 0.9, 0)
    for s in range(0, x.shape[1], 64 * 7):
        piece = np.ascontiguousarray(x[:, s:s + 64 * 7])
        got = np.empty_like(piece)
        kernels.kernel("block_gain")(piece, got, np.zeros(channels), gains, 64, 0.9, s // 64)
        np.testing.assert_array_equal(got, out[:, s:s + 64 * 7])


@pytest.mark.parametrize("ping_pong", [False, True])
def test_feedback_delay_compiled_matches_its_python_body(ping_pong):
    x = noise(2, 3000, seed=2)
    args = (x, 257, 0.6, 0.3, ping_pong, 0.8, 0.5)
    mono = (x[:1], 257, 0.6, 0.3, ping_pong, 0.8, 0.5)
    np.testing.assert_allclose(kernels.kernel("feedback_delay")(*mono), kernels.feedback_delay(*mono), atol=1e-6)
    np.testing.assert_allclose(kernels.kernel("feedback_delay")(*mono), kernels.kernel("feedback_delay")(np.repeat(x[:1], 2, 0), *mono[1:]), atol=1e-6)
    np.testing.assert_allclose(kernels.kernel("feedback_delay")(*args), kernels.feedback_delay(*args), atol=1e-6)


def test_ping_pong_echoes_alternate_sides():
    x = np.zeros((2, 1000), np.float32)
    x[:, 0] = 1.0
    out = kernels.kernel("feedback_delay")(x, 100, 0.5, 0.0, True, 0.0, 1.0)
    assert out[0, 100] == pytest.approx(1.0) and out[1, 100] == 0  # the mono sum, first on the left
    assert out[1, 200] == pytest.approx(0.5) and out[0, 200] == 0
    assert out[0, 300] == pytest.approx(0.25)


def test_kernels_refuse_shapes_that_would_read_or_write_out_of_bounds():
    x = noise(2, 100)
    with pytest.raises(ValueError, match="zi"):
        kernels.kernel("biquads")(biquad("lowpass", 1000, SR), x, np.zeros((2, 1, 2)))
    with pytest.raises(ValueError, match="a gain for each block"):
        kernels.kernel("block_gain")(x, np.empty_like(x), np.zeros(2), np.ones(3), 32, 1.0, 2)
    with pytest.raises(ValueError, match="zi"):
        kernels.kernel("block_stats")(k_weighting(SR), x, np.zeros(2), 32, np.zeros((1, 4)))
    with pytest.raises(ValueError, match="channels"):
        kernels.kernel("feedback_delay")(noise(3, 100), 10, 0.5, 0.0, False, 1.0, 0.5)


def test_kernels_still_compile_where_numba_cannot_keep_a_cache(monkeypatch):
    import numba

    real = numba.njit

    def no_cache_dir(*args, **kw):
        if kw.get("cache"):
            raise RuntimeError("cannot cache function: no locator available")
        return real(*args, **kw)

    monkeypatch.setattr(numba, "njit", no_cache_dir)
    monkeypatch.setattr(kernels, "_COMPILED", {})
    out = np.empty((1, 64), np.float32)
    kernels.kernel("block_gain")(np.ones((1, 64), np.float32), out, np.zeros(1), np.full(2, 0.5), 32, 1.0, 0)
    assert np.allclose(out, 0.5)


def test_warm_compiles_every_kernel_for_the_types_rendering_uses():
    kernels.warm()
    assert all(kernels.kernel(name).signatures for name in kernels._PYTHON)


@pytest.mark.parametrize("instrument", ["piano", "pad", "strings", "synth_lead", "synth_bass", "organ", "brass"])
def test_the_wavetable_kernel_plays_what_the_differentiable_torch_path_plays(instrument):
    """The renderer reads wavetables with the compiled kernel; fitting a patch (grad on) reads
    them with torch ops. Both must sound the same: unison voices, detune, stereo width, filter
    envelope blend and vibrato included (vibrato's phase is float64 in the kernel, float32 in torch)."""
    import torch

    from orchestria_lab.audio import engines
    from orchestria_lab.audio.instruments import PATCHES

    pt = PATCHES[instrument]
    p = pt.resolve({})
    pitch, gate = torch.tensor([40, 55, 67, 79]), torch.tensor([0.25, 0.5, 1.0, 0.125])
    vel = torch.tensor([0.4, 0.7, 0.9, 1.0])
    with torch.no_grad():
        compiled, lengths = engines._render_block(p, "wavetable", pt.partials, pitch, gate, vel, 16000, 5)
    with torch.enable_grad():
        reference, _ = engines._render_block(p, "wavetable", pt.partials, pitch, gate, vel, 16000, 5)
    reference = reference.detach()
    assert compiled.shape == reference.shape and compiled.abs().max() > 0.05
    np.testing.assert_allclose(compiled.numpy(), reference.numpy(), atol=2e-4 * float(reference.abs().max()))
    for row, length in enumerate(lengths.tolist()):  # padding past each note stays silent
        assert not compiled[:, row, length:].any()


def test_the_wavetable_kernel_matches_its_python_body_and_wraps_its_phase_exactly():
    rng = np.random.default_rng(3)
    tables = rng.standard_normal((2, 3, 17)).astype(np.float32)
    tables[:, :, -1] = tables[:, :, 0]
    steps = np.array([[2**31 + 12345, 2**30, 4_000_000_000]] * 2, np.int64)  # near and past half a cycle
    args = (tables, steps, np.array([0, 2**31], np.int64), np.array([[0.6, 0.2], [0.1, 0.9]]),
            rng.uniform(0, 1, (3, 11)).astype(np.float32), 5, np.array([50, 20, 7], np.int64),
            rng.uniform(0, 1, 50).astype(np.float32), np.array([5.0, 0.02, 0.0, 1000.0, 100.0, 200.0, 300.0]), 28)
    compiled, python = kernels.kernel("wavetable_voices")(*args), kernels.wavetable_voices(*args)
    np.testing.assert_allclose(compiled, python, atol=1e-6)
    assert not compiled[:, 1, 20:].any() and not compiled[:, 2, 7:].any()
    with pytest.raises(ValueError, match="wavetable_voices"):
        kernels.kernel("wavetable_voices")(tables[:, :, :16], *args[1:])  # a table of 15 + 1 samples


def rng_env(rows: int, points: int) -> np.ndarray:
    return np.random.default_rng(rows * points).uniform(0, 1, (rows, points)).astype(np.float32)


@pytest.mark.parametrize("hop", [1, 4, 16])
def test_the_kernels_draw_the_envelope_as_torchs_linear_interpolation_does(hop, monkeypatch):
    """The wavetable and FM kernels take the amplitude envelope every ``hop`` samples and draw the
    lines between as they play (the envelope is never laid out sample by sample): what they draw is
    what torch's interpolation (the differentiable path's) draws, to 1e-7 (ENV_HOP is a power of
    two, where torch's step between points is exact)."""
    import torch

    from orchestria_lab.audio import engines

    monkeypatch.setattr(engines, "ENV_HOP", hop)
    env = rng_env(3, 40)
    samples = 39 * hop
    tables = np.ones((1, 3, 9), np.float32)  # a table of ones: the output is the envelope itself
    args = (tables, np.zeros((1, 3), np.int64), np.zeros(1, np.int64), np.ones((1, 1)), env, hop,
            np.full(3, samples, np.int64), np.ones(1, np.float32), np.zeros(0), 3)
    played = kernels.kernel("wavetable_voices")(*args)[0]
    np.testing.assert_allclose(played, engines.drawn(torch.from_numpy(env)).numpy(), rtol=0, atol=1e-7)
    np.testing.assert_allclose(played, kernels.wavetable_voices(*args)[0], rtol=0, atol=1e-7)
    assert played.shape == (3, samples)


def test_a_swept_delay_reads_late_by_its_sweep_and_pieces_join_seamlessly():
    x = noise(1, 4000, seed=4)
    sweep = np.array([[30.0, 3.0, 0.5], [4.0, 11.0, 0.0]])
    whole = kernels.kernel("swept_delay")(x, 0, 8000.0, 40.0, sweep)
    np.testing.assert_allclose(whole, kernels.swept_delay(x, 0, 8000.0, 40.0, sweep), atol=1e-6)
    whole = whole[0]
    # at each sample, the linear interpolation NumPy makes at i - d(i) of x with silence before it
    i = np.arange(x.shape[1])
    d = 40.0 + sum(depth * np.sin(2 * np.pi * rate * i / 8000.0 + phase) for depth, rate, phase in sweep)
    np.testing.assert_allclose(whole, np.interp(i - d, np.arange(-1, x.shape[1]), np.r_[0.0, x[0]], left=0.0),
                               atol=1e-5)
    # a still delay of 10 samples is x moved 10 late, silent before it starts
    still = kernels.kernel("swept_delay")(x, 0, 8000.0, 10.0, np.zeros((1, 3)))[0]
    assert not still[:10].any() and np.array_equal(still[10:], x[0, :-10])
    # the second half read on its own (start=2000) is the second half of the whole, but for what it cannot see
    half = kernels.kernel("swept_delay")(x[:, 2000:], 2000, 8000.0, 40.0, sweep)[0]
    np.testing.assert_allclose(half[80:], whole[2080:], atol=1e-6)
    with pytest.raises(ValueError, match="centre"):
        kernels.kernel("swept_delay")(x, 0, 8000.0, 5.0, sweep)  # would read ahead of now


def test_a_swept_delay_reads_every_channel_through_one_sweep_as_each_alone():
    """Tape reads its two tracks through one sweep in one pass: each channel comes out
    exactly as that channel read on its own."""
    x = noise(3, 5000, seed=5)
    sweep = np.array([[12.0, 0.7, 0.0], [1.5, 9.0, 0.3]])
    together = kernels.kernel("swept_delay")(x, 123, 44100.0, 14.0, sweep)
    for c in range(3):
        np.testing.assert_array_equal(together[c], kernels.kernel("swept_delay")(x[c:c + 1], 123, 44100.0, 14.0,
                                                                                 sweep)[0])


def test_a_filter_ringing_out_into_silence_ends_in_zeros_not_denormal_numbers():
    """Denormal numbers cost a hundred times more to compute with: a click through a bandpass,
    then silence (vinyl crackle), must decay to exact zeros, in the output and in the state."""
    x = np.zeros((1, 200_000), np.float32)
    x[0, 0] = 0.3
    zi = np.zeros((1, 1, 4))
    y = kernels.kernel("biquads")(biquad("bandpass", 2500.0, SR, q=0.8), x, zi)
    tiny = np.abs(y[(y != 0)])
    assert tiny.min() >= 1e-30 and not y[0, -1000:].any()
    assert not zi[0, 0, 2:].any()  # the filter's last outputs: exactly zero, not merely small
    assert np.abs(y[0, :200]).max() > 0.01  # it did ring


@pytest.mark.parametrize("instrument,vibrato", [("electric_piano", 0.0), ("bells", 0.0), ("electric_piano", 12.0)])
def test_the_fm_kernel_plays_what_the_differentiable_torch_path_plays(instrument, vibrato):
    """The renderer's FM reads its sines from a table in one compiled pass; with gradients on it is
    torch's sin. They must agree to well under what a 24-bit file can hold."""
    import torch

    from orchestria_lab.audio import engines
    from orchestria_lab.audio.instruments import PATCHES

    pt = PATCHES[instrument]
    p = {**pt.resolve({}), "vibrato": vibrato, "vibrato_rate": 5.5}
    pitch, gate = torch.tensor([36, 60, 72, 96]), torch.tensor([1.0, 0.5, 0.25, 0.125])
    vel = torch.tensor([1.0, 0.7, 0.5, 0.9])
    with torch.no_grad():
        compiled, lengths = engines._render_block(p, "fm", pt.partials, pitch, gate, vel, 22050, 1)
    with torch.enable_grad():
        reference, _ = engines._render_block(p, "fm", pt.partials, pitch, gate, vel, 22050, 1)
    reference = reference.detach()
    assert compiled.abs().max() > 0.1
    np.testing.assert_allclose(compiled.numpy(), reference.numpy(), atol=2e-5)
    args = (np.array([110.0, 440.0]), 3.5, np.array([2.0, 0.5]), 4.0, np.array([5.0, 0.01]),
            rng_env(2, 31), 10, np.array([300, 120], np.int64), 8000.0, kernels.SINE_TABLE)
    np.testing.assert_allclose(kernels.kernel("fm_voices")(*args), kernels.fm_voices(*args), atol=1e-6)
    for row, length in enumerate(lengths.tolist()):
        assert not compiled[:, row, length:].any()
