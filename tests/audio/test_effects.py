"""Effects measured with impulses and sines: attenuation, echo times, crest factor, decay."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

from orchestria_lab.audio import effects as fx
from orchestria_lab.audio.dynamics import integrated_loudness
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.vocabulary import EFFECT_TYPES
from orchestria_lab.state import Effect

SR = 22050


def sine(freq: float, seconds: float = 1.0, amp: float = 0.5, sr: int = SR) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)[None].repeat(2, 0)


def rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12))


def impulse(n: int) -> np.ndarray:
    x = np.zeros((2, n), np.float32)
    x[:, 0] = 1.0
    return x


def test_every_effect_type_has_a_spec_whose_params_match_its_function():
    assert sorted(fx.EFFECT_SPECS) == sorted(EFFECT_TYPES)
    for name, spec in fx.EFFECT_SPECS.items():
        fn = fx.EFFECT_FUNCTIONS[name]
        kw = {p.name: p.default for p in inspect.signature(fn).parameters.values()
              if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in ("bpm", "circular", "start")}
        assert kw == spec.defaults, name
        for p in spec.params.values():
            if p.type != "bool":
                assert p.low <= p.default <= p.high, (name, p.name)
        json.dumps(spec.to_dict())


def test_validate_fills_defaults_and_teaches_the_valid_range():
    assert fx.EFFECT_SPECS["delay"].validate({"time": 0.5})["feedback"] == 0.35
    with pytest.raises(InvalidValue, match=r"reverb.decay=99 .*from 0.1 to 10.0 \(s\)"):
        fx.EFFECT_SPECS["reverb"].validate({"decay": 99})
    with pytest.raises(InvalidValue, match="expected one of size, decay, damping, predelay, mix"):
        fx.EFFECT_SPECS["reverb"].validate({"room": 1})
    with pytest.raises(InvalidValue, match="true or false"):
        fx.EFFECT_SPECS["delay"].validate({"ping_pong": 1})
    with pytest.raises(InvalidValue, match="whole number"):
        fx.EFFECT_SPECS["bitcrusher"].validate({"downsample": 2.5})


@pytest.mark.parametrize("slope, expected", [(12, -24.1), (24, -48.2)])
def test_lowpass_attenuates_two_octaves_above_cutoff_by_its_slope(slope, expected):
    cutoff = 500.0
    passed = fx.lowpass(sine(cutoff / 8), SR, cutoff=cutoff, slope=slope)
    stopped = fx.lowpass(sine(cutoff * 4), SR, cutoff=cutoff, slope=slope)
    ref = rms_db(sine(100.0))
    assert abs(rms_db(passed[:, SR // 2:]) - ref) < 0.1
    assert rms_db(stopped[:, SR // 2:]) - ref == pytest.approx(expected, abs=1.0)
    at_cutoff = fx.lowpass(sine(cutoff), SR, cutoff=cutoff, slope=slope)
    assert rms_db(at_cutoff[:, SR // 2:]) - ref == pytest.approx(-3.0, abs=0.2)


def test_highpass_and_resonance():
    ref = rms_db(sine(100.0))
    below = fx.highpass(sine(250.0), SR, cutoff=1000.0)
    assert rms_db(below[:, SR // 2:]) - ref == pytest.approx(-24.1, abs=1.0)
    peak = fx.lowpass(sine(1000.0), SR, cutoff=1000.0, resonance=1.0)
    assert rms_db(peak[:, SR // 2:]) - ref > 15.0  # a resonant filter rings at its cutoff


def test_eq_bands_hit_their_gains():
    ref = rms_db(sine(100.0))
    mid = fx.eq(sine(1000.0), SR, mid_gain=6.0, mid_freq=1000.0)
    assert rms_db(mid[:, SR // 2:]) - ref == pytest.approx(6.0, abs=0.1)
    low = fx.eq(sine(30.0, 2.0), SR, low_gain=-9.0, low_freq=200.0)
    assert rms_db(low[:, SR:]) - ref == pytest.approx(-9.0, abs=0.3)
    high = fx.eq(sine(9000.0), SR, high_gain=4.0, high_freq=3000.0)
    assert rms_db(high[:, SR // 2:]) - ref == pytest.approx(4.0, abs=0.3)
    flat = fx.eq(sine(440.0), SR)
    np.testing.assert_array_equal(flat, sine(440.0))


def test_delay_echo_lands_on_the_tempo_synced_time_and_falls_by_the_feedback():
    bpm, beats = 100.0, 0.75
    y = fx.delay(impulse(SR * 2), SR, bpm=bpm, time=beats, feedback=0.5, mix=1.0, damping=0.0)
    d = round(beats * 60 / bpm * SR)
    peaks = np.flatnonzero(np.abs(y[0]) > 1e-3)
    assert peaks[:3].tolist() == [d, 2 * d, 3 * d]
    assert y[0, 2 * d] / y[0, d] == pytest.approx(0.5, abs=1e-6)


def test_ping_pong_alternates_sides_and_damping_darkens_repeats():
    y = fx.delay(impulse(SR), SR, bpm=120, time=0.25, feedback=0.6, mix=1.0, ping_pong=True, damping=0.0)
    d = round(0.25 * 0.5 * SR)
    assert abs(y[0, d]) > 0.1 and abs(y[1, d]) < 1e-6
    assert abs(y[1, 2 * d]) > 0.1 and abs(y[0, 2 * d]) < 1e-6
    dark = fx.delay(impulse(SR), SR, bpm=120, time=0.25, feedback=0.6, mix=1.0, damping=0.9)
    first, third = dark[0, d:d + 200], dark[0, 3 * d:3 * d + 200]
    width = lambda e: np.sum(np.abs(e) > 0.1 * np.abs(e).max())  # noqa: E731 - repeats get smeared out
    assert width(third) > width(first)


def test_compressor_reduces_crest_factor_and_follows_its_static_curve():
    rng = np.random.default_rng(0)
    t = np.arange(SR * 2) / SR
    hits = (np.exp(-((t % 0.25) / 0.08)) * rng.standard_normal(t.size) * 0.9).astype(np.float32)
    x = hits[None].repeat(2, 0)
    crest = lambda a: 20 * np.log10(np.abs(a).max() / np.sqrt(np.mean(a**2)))  # noqa: E731
    y = fx.compressor(x, SR, threshold=-30.0, ratio=8.0, attack=2.0, release=20.0, lookahead=3.0)
    assert crest(y) < crest(x) - 3.0
    punch = fx.compressor(x, SR, threshold=-30.0, ratio=8.0, attack=2.0, release=20.0)
    assert crest(punch) > crest(y)  # without look-ahead the attack lets the transients through
    steady = np.full((1, SR), 10 ** (-6 / 20), np.float32)
    out = fx.compressor(steady, SR, threshold=-18.0, ratio=3.0, knee=0.0, makeup=2.0)
    assert 20 * np.log10(out[0, -1]) == pytest.approx(-18 + 12 / 3 + 2.0, abs=0.05)


def test_reverb_decays_by_its_set_time():
    decay = 1.2
    ir = fx.reverb(impulse(int(SR * 2.5)), SR, decay=decay, damping=0.0, predelay=0.0, mix=1.0)
    energy = np.cumsum((ir[0].astype(np.float64) ** 2)[::-1])[::-1]  # Schroeder integration
    edc = 10 * np.log10(energy / energy[0])
    t5, t35 = np.argmax(edc < -5) / SR, np.argmax(edc < -35) / SR
    rt60 = 2.0 * (t35 - t5)  # T30 extrapolated to 60 dB
    assert rt60 == pytest.approx(decay, rel=0.15)
    assert not np.allclose(ir[0], ir[1])  # decorrelated channels: width


def test_limiter_never_lets_a_sample_above_the_ceiling():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((2, SR)) * 0.6).astype(np.float32)
    x[:, 5000] = 4.0
    y = fx.limiter(x, SR, ceiling=-1.0, gain=6.0)
    assert np.abs(y).max() <= 10 ** (-1 / 20)
    quiet = sine(440.0, amp=0.1)
    np.testing.assert_allclose(fx.limiter(quiet, SR), quiet, atol=1e-6)  # below the ceiling: untouched


def test_bitcrusher_distortion_tape_vinyl_do_what_they_say():
    x = sine(220.0)
    crushed = fx.bitcrusher(x, SR, bits=3, downsample=1)
    assert len(np.unique(crushed)) <= 2**3 + 1
    held = fx.bitcrusher(x, SR, bits=16, downsample=4)
    assert np.all(held[:, 0:4] == held[:, :1])
    spectrum = lambda a: np.abs(np.fft.rfft(a[0]))  # noqa: E731
    clean, driven = spectrum(x), spectrum(fx.distortion(x, SR, drive=24.0, tone=1.0))
    third = 3 * 220
    assert driven[third] / driven[220] > 100 * clean[third] / clean[220]
    warm = fx.distortion(x, SR, drive=18.0, asymmetry=1.0)
    assert abs(warm[:, SR // 2:].mean()) < 1e-3
    for out in (fx.tape(x, SR), fx.vinyl(x, SR), fx.chorus(x, SR)):
        assert out.shape == x.shape and out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_array_equal(fx.vinyl(x, SR, seed=3), fx.vinyl(x, SR, seed=3))


@pytest.mark.parametrize("effect", [Effect("reverb", {"decay": 0.8, "mix": 0.5}),
                                    Effect("delay", {"time": 0.5, "feedback": 0.6}),
                                    Effect("lowpass", {"cutoff": 300.0, "resonance": 0.8})])
def test_loop_tails_wrap_round_as_if_the_loop_had_played_before(effect):
    n = SR // 2
    rng = np.random.default_rng(2)
    x = np.zeros((2, n), np.float32)
    x[:, n - 2000:] = rng.standard_normal((2, 2000)).astype(np.float32)  # sound at the very end
    looped = fx.apply_effect(x, SR, effect, bpm=120, loop=True)
    steady = fx.apply_effect(np.tile(x, 12), SR, effect, bpm=120, loop=False)[:, 11 * n:12 * n]
    assert looped.shape == x.shape
    np.testing.assert_allclose(looped, steady, atol=1e-3 * np.abs(steady).max())  # tails kept to -60 dB
    rung = fx.apply_effect(x, SR, effect, bpm=120, loop=False)
    assert rung.shape[1] > n and rms_db(rung[:, n:]) > -80  # as a song, the tail rings out


def test_chorus_lfo_fits_the_loop_so_it_restarts_where_it_ends():
    x = sine(330.0, 1.0)
    looped = fx.apply_effect(x, SR, Effect("chorus", {"rate": 0.7, "depth": 5.0, "mix": 1.0}), bpm=120, loop=True)
    twice = np.concatenate([looped, looped], axis=1)
    seam = np.abs(np.diff(twice[0, SR - 50:SR + 50])).max()
    body = np.abs(np.diff(looped[0, 1000:-1000])).max()
    assert seam <= body * 1.05


def test_integrated_loudness_follows_bs1770():
    sr = 48000
    t = np.arange(sr * 3) / sr
    tone = (10 ** (-20 / 20) * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
    assert integrated_loudness(np.stack([tone, tone]), sr) == pytest.approx(-20.0, abs=0.05)
    assert integrated_loudness(np.zeros((2, sr), np.float32), sr) == float("-inf")
    pyln = pytest.importorskip("pyloudnorm")
    noise = (np.random.default_rng(0).standard_normal((2, sr * 3)) * 0.05).astype(np.float32)
    ours = integrated_loudness(noise, sr)
    theirs = pyln.Meter(sr).integrated_loudness(noise.T.astype(np.float64))
    assert ours == pytest.approx(theirs, abs=0.15)


@pytest.mark.parametrize("loop", [True, False])
@pytest.mark.parametrize("effect", [Effect("delay", {"time": 0.3, "feedback": 0.5}), Effect("compressor"),
                                    Effect("chorus", {"rate": 1.3}), Effect("tape", {"hiss": 0.0}),
                                    Effect("reverb", {"decay": 0.4}), Effect("limiter", {"gain": 12.0})])
def test_long_audio_processed_in_chunks_sounds_as_if_in_one_piece(effect, loop, monkeypatch):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((2, SR)) * np.linspace(0, 0.5, SR)).astype(np.float32)
    whole = fx.apply_effect(x, SR, effect, bpm=120, loop=loop)
    monkeypatch.setattr(fx, "CHUNK", 64 * 47)
    monkeypatch.setattr(fx, "CIRCULAR_MAX", 0)
    pieces = fx.apply_effect(x.copy(), SR, effect, bpm=120, loop=loop, consume=True)
    assert pieces.shape == whole.shape
    np.testing.assert_allclose(pieces, whole, atol=2e-3 * np.abs(whole).max())


def test_a_chorus_sweeping_deeper_than_its_delay_is_held_to_it():
    """depth 10 ms round a 2 ms centre would read ahead of now: the sweep is held to the centre."""
    from orchestria_lab.audio.space import chorus

    x = (np.random.default_rng(1).standard_normal((2, 8000)) * 0.2).astype(np.float32)
    deep, held = chorus(x, 16000, depth=10.0, delay=2.0, mix=1.0), chorus(x, 16000, depth=2.0, delay=2.0, mix=1.0)
    assert deep.shape == x.shape and np.isfinite(deep).all()
    np.testing.assert_array_equal(deep, held)


@pytest.mark.parametrize("n,m", [(1729, 300), (1729, 5000), (1024, 1024), (7, 3)])
def test_a_loop_convolved_at_a_fast_size_is_exactly_the_circular_convolution(n, m):
    """A loop's length follows its tempo (93 bpm, 16 bars: 7 x 19 x 13691 samples), so the reverb
    convolves at a fast transform size and wraps the tail; that must equal the circular convolution."""
    from orchestria_lab.audio.dsp import loop_convolve, loop_spectrum

    rng = np.random.default_rng(n + m)
    x = rng.standard_normal((1, n)).astype(np.float32)
    h = (rng.standard_normal((2, m)) * 0.05).astype(np.float32)
    folded = np.zeros((2, n))
    np.add.at(folded, (slice(None), np.arange(m) % n), h)
    expected = np.fft.irfft(np.fft.rfft(x, n) * np.fft.rfft(folded, n), n)
    spectrum = loop_spectrum(h, n)
    assert spectrum.size >= n and max(int(p) for p in _factors(spectrum.size)) <= 7
    np.testing.assert_allclose(loop_convolve(x, spectrum), expected, atol=2e-5)


def _factors(k: int) -> list[int]:
    out, d = [], 2
    while d * d <= k:
        while k % d == 0:
            out.append(d)
            k //= d
        d += 1
    return out + ([k] if k > 1 else [])


def _tape_as_it_was(x: np.ndarray, sr: int, *, seed: int, start: int) -> np.ndarray:
    """Tape at its defaults the way it was worked out before its tracks shared one sweep and its
    hiss was kept: each channel read on its own, the hiss drawn and filtered afresh."""
    from orchestria_lab.audio import kernels
    from orchestria_lab.audio.dsp import biquad, sosfilt, white_noise

    ms = sr / 1000.0
    wander = np.array([[2.0 * 0.3 * ms, 0.5, 0.0], [0.15 * 0.2 * ms, 7.0, 0.0]])
    y = np.stack([kernels.swept_delay(x[c:c + 1], start, float(sr), float(wander[:, 0].sum()), wander)[0]
                  for c in range(x.shape[0])])
    g = np.float32(10 ** (12 * 0.3 / 20))
    y = sosfilt(biquad("lowpass", 16000.0 - 6000.0 * 0.3, sr), np.tanh(y * g) / np.float32(np.tanh(g)))
    noise = white_noise(np.random.default_rng((seed, start % 2**63)), x.shape)
    return y + sosfilt(biquad("highpass", 2000.0, sr), noise) * np.float32(10 ** ((-90 + 40 * 0.05) / 20))


def _vinyl_as_it_was(x: np.ndarray, sr: int, *, seed: int, start: int) -> np.ndarray:
    from orchestria_lab.audio.dsp import biquad, sosfilt, white_noise

    c, n = x.shape
    y = sosfilt(np.concatenate([biquad("highpass", 60.0, sr), biquad("lowpass", 9000.0, sr)]), x)
    rng = np.random.default_rng((seed, start % 2**63))
    y += sosfilt(biquad("lowpass", 3000.0, sr), white_noise(rng, (c, n))) * np.float32(10 ** ((-80 + 40 * 0.2) / 20))
    count = rng.poisson(40.0 * 0.3 * n / sr)
    clicks = np.zeros(n, np.float32)
    at = rng.integers(0, n, count)
    clicks[at] = (rng.uniform(0.02, 0.3, count) * rng.choice([-1, 1], count)).astype(np.float32)
    return y + sosfilt(biquad("bandpass", 2500.0, sr, q=0.8), clicks)[None] * np.float32(0.8)


@pytest.mark.parametrize("channels", [1, 2])
def test_tape_and_vinyl_sound_as_they_did_and_their_kept_noise_is_never_shared_out(channels):
    """Tape reads both tracks through one sweep and keeps its hiss; vinyl keeps its surface noise
    and crackle: the sound is what the per-channel, drawn-afresh path made, to float rounding
    (1e-6 of full scale), a second render gets the kept noise, and nobody's output is the
    kept array itself."""
    rng = np.random.default_rng(channels)
    x = (rng.standard_normal((channels, 30000)) * 0.3).astype(np.float32)
    for effect, before in ((fx.tape, _tape_as_it_was), (fx.vinyl, _vinyl_as_it_was)):
        first = effect(x, SR, seed=3, start=-64)
        np.testing.assert_allclose(first, before(x, SR, seed=3, start=-64), atol=1e-6)
        again = effect(x, SR, seed=3, start=-64)
        assert np.array_equal(first, again) and first.flags.writeable and not np.shares_memory(first, again)
        other = effect(x, SR, seed=4, start=-64)  # another seed is other noise
        assert not np.allclose(other, first, atol=1e-6)


def test_reverb_mixes_in_place_what_it_mixed_before():
    """The reverb sums its dry and wet in place, and a mono input is not made stereo first: the
    result is the equal-power mix of before, to float rounding."""
    from orchestria_lab.audio.dsp import fft_convolve
    from orchestria_lab.audio.space import reverb, reverb_ir

    rng = np.random.default_rng(9)
    for channels in (1, 2):
        x = (rng.standard_normal((channels, 20000)) * 0.2).astype(np.float32)
        stereo = np.repeat(x, 2, axis=0) if channels == 1 else x
        mono = stereo.mean(axis=0, keepdims=True)
        dry, wet = np.cos(0.3 * np.pi / 2), np.sin(0.3 * np.pi / 2)
        ring = fft_convolve(mono, reverb_ir(SR, decay=0.8))[:, :20000]
        np.testing.assert_allclose(reverb(x, SR, decay=0.8, mix=0.3), stereo * dry + ring * wet, atol=1e-6)
        looped = fft_convolve(mono, reverb_ir(SR, decay=0.8), circular=True)
        np.testing.assert_allclose(reverb(x, SR, decay=0.8, mix=0.3, circular=True), stereo * dry + looped * wet,
                                   atol=1e-6)


def test_noise_of_a_stem_processed_in_chunks_is_not_kept(monkeypatch):
    """A long stem goes through its effects a chunk at a time, each piece heard once: their noise
    layers are not held (they would only raise the peak memory); a loop in one piece's is."""
    from orchestria_lab.audio import dsp

    monkeypatch.setattr(dsp, "_KEPT", type(dsp._KEPT)())
    x = (np.random.default_rng(6).standard_normal((2, SR)) * 0.2).astype(np.float32)
    monkeypatch.setattr(fx, "CHUNK", 64 * 47)
    fx.apply_effect(x, SR, Effect("vinyl"), bpm=120, loop=True)
    fx.apply_effect(x, SR, Effect("tape"), bpm=120, loop=False)
    assert not dsp._KEPT
    monkeypatch.setattr(fx, "CHUNK", 1 << 20)
    fx.apply_effect(x, SR, Effect("vinyl"), bpm=120, loop=True)
    assert len(dsp._KEPT) == 1
