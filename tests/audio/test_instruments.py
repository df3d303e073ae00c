"""Instruments: tuning, clean note edges, no aliasing, drums on the beat, adjectives that move the sound."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from orchestria_lab.audio import instruments as ins
from orchestria_lab.audio.engines import render_instrument
from orchestria_lab.audio.synth import (
    adsr,
    karplus_strong,
    lowpass_gain,
    pack_tables,
    read_table,
    wavetables,
)
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.vocabulary import EFFECT_TYPES, GM_DRUMS, INSTRUMENTS
from orchestria_lab.state import Note

SR = 22050
PITCHED = [name for name in INSTRUMENTS if name != "drum_kit"]


def steady(instrument: str) -> dict:
    """Tone overrides that hold the pitch still (no vibrato, no unison detune), for measuring."""
    return {k: 0.0 for k in ("vibrato", "detune") if k in ins.PATCHES[instrument].params}


def play(instrument, notes, *, seconds=2.0, loop=False, tone=None, sr=SR, bpm=120, drums=False):
    audio = render_instrument(instrument, notes, tone=tone or {}, drums=drums, bpm=bpm, sr=sr,
                              n_samples=int(sr * seconds), loop=loop, seed=0)
    return audio.mean(axis=0)


def peak_hz(x: np.ndarray, sr: int, low: float, high: float) -> float:
    """Frequency of the strongest peak between ``low`` and ``high``: zero-padded FFT, parabolic fit."""
    n = len(x) * 8
    mag = np.log(np.abs(np.fft.rfft(x * np.hanning(len(x)), n)) + 1e-12)
    lo, hi = int(low * n / sr), int(high * n / sr)
    k = lo + int(np.argmax(mag[lo:hi]))
    a, b, c = mag[k - 1], mag[k], mag[k + 1]
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / n


def test_the_patch_library_covers_the_vocabulary_exactly():
    assert sorted(ins.PATCHES) == sorted(INSTRUMENTS)
    for p in ins.PATCHES.values():
        assert set(p.params) <= set(ins.TONE_PARAMS)
        for name, value in p.params.items():
            spec = ins.TONE_PARAMS[name]
            assert spec.low <= value <= spec.high, (p.name, name)


@pytest.mark.parametrize("instrument", PITCHED)
def test_a4_is_tuned_to_440_hz(instrument):
    x = play(instrument, [Note(69, 0.0, 3.0, 100)], seconds=1.5, tone=steady(instrument))
    body = x[int(0.2 * SR):int(1.2 * SR)]
    assert abs(1200 * np.log2(peak_hz(body, SR, 400, 480) / 440.0)) < 3.0


@pytest.mark.parametrize("instrument", PITCHED)
def test_notes_start_and_end_without_clicks(instrument):
    x = play(instrument, [Note(60, 0.5, 1.0, 110)], seconds=6.0)
    start = int(0.25 * SR)
    assert np.abs(x[start - 50:start]).max() == 0.0  # silence before the note ...
    ramp = np.abs(np.diff(x[start:start + 8]))
    body = np.abs(np.diff(x[start:start + SR // 2])).max()
    assert ramp.max() <= body  # ... and no step into it
    nz = np.flatnonzero(x)
    assert abs(x[nz[-1]]) < 1e-3 * np.abs(x).max()  # the release lands on zero
    assert abs(x.mean()) < 0.02 * np.abs(x).max()


@pytest.mark.parametrize("instrument", ["synth_lead", "brass", "strings", "electric_piano", "bells", "organ"])
def test_high_notes_have_no_aliasing(instrument):
    sr = 44100
    f0 = 440.0 * 2 ** ((96 - 69) / 12)  # C7, 2093 Hz
    x = play(instrument, [Note(96, 0.0, 4.0, 127)], seconds=1.0, sr=sr, tone=steady(instrument))
    x = x[int(0.3 * sr):int(0.8 * sr)]
    spec = np.abs(np.fft.rfft(x * np.blackman(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    ratio = {"bells": 3.5}.get(instrument, 1.0)
    grid = f0 / (2 if instrument == "organ" else 1) * (0.5 if ratio != 1 else 1)  # every legal partial
    near = np.abs(freqs / grid - np.round(freqs / grid)) * grid < 15
    off = spec[~near & (freqs > 100)].sum() / spec.sum()
    assert 10 * np.log10(off + 1e-30) < -60


def test_drums_land_on_their_beats_and_voices_sit_on_gm_numbers():
    bpm = 120
    kit = [GM_DRUMS[v] for v in ("kick", "snare", "clap", "closed_hat", "open_hat", "low_tom", "rim",
                                 "shaker", "crash", "ride")]
    for k in kit:
        beats = [1.0, 2.5, 3.75]
        x = play("drum_kit", [Note(k, b, 0.25, 100) for b in beats], seconds=4.0, drums=True, bpm=bpm, loop=True)
        for b in beats:
            at = int(round(b * 60 / bpm * SR))
            window = np.abs(x[at - 200:at + 2000])
            onset = np.argmax(window > 0.1 * window.max()) - 200
            assert 0 <= onset < 0.002 * SR, (k, b, onset)
    spectra = {}
    for name in ("kick", "closed_hat"):
        hit = play("drum_kit", [Note(GM_DRUMS[name], 0.0, 0.25, 100)], seconds=0.5, drums=True)
        f = np.fft.rfftfreq(len(hit), 1 / SR)
        p = np.abs(np.fft.rfft(hit)) ** 2
        spectra[name] = (f * p).sum() / p.sum()
    assert spectra["kick"] < 300 < 4000 < spectra["closed_hat"]


def test_closed_hat_chokes_open_hat():
    open_only = play("drum_kit", [Note(46, 0.0, 0.5, 100)], seconds=1.0, drums=True)
    choked = play("drum_kit", [Note(46, 0.0, 0.5, 100), Note(42, 0.5, 0.25, 1)], seconds=1.0, drums=True)
    after = slice(int(0.3 * SR), int(0.4 * SR))
    assert np.abs(choked[after]).max() < 0.01 * np.abs(open_only[after]).max()


def test_plucked_strings_do_not_wrap_their_ringing_onto_the_attack():
    freq, decay = torch.tensor([220.0, 659.0]), torch.tensor([3.0, 2.0])  # ring far longer than rendered
    short = karplus_strong(freq, 4000, SR, decay=decay)
    long = karplus_strong(freq, 64000, SR, decay=decay)[:, :4000]
    scale = long.abs().amax(dim=1, keepdim=True) / short.abs().amax(dim=1, keepdim=True)
    assert torch.allclose(short * scale, long, atol=5e-3)  # a wrapped tail would add ~5 % here


def test_velocity_changes_loudness_and_a_loop_wraps_the_release():
    soft = play("piano", [Note(60, 0, 1, 30)], seconds=2)
    hard = play("piano", [Note(60, 0, 1, 120)], seconds=2)
    assert np.abs(hard).max() > 2 * np.abs(soft).max()
    n = SR
    notes = [Note(60, 1.5, 0.5, 100)]  # ends exactly at the loop end, so its release spills over
    looped = render_instrument("pad", notes, tone={}, drums=False, bpm=120, sr=SR, n_samples=n, loop=True, seed=0)
    rung = render_instrument("pad", notes, tone={}, drums=False, bpm=120, sr=SR, n_samples=n, loop=False, seed=0)
    padded = np.pad(rung, ((0, 0), (0, -rung.shape[1] % n)))
    folded = padded.reshape(2, -1, n).sum(axis=1)  # every pass of the loop adds its share of the tail
    np.testing.assert_allclose(looped, folded, atol=1e-5)


def test_adjectives_move_the_tone_and_stay_in_range():
    assert set(ins.ADJECTIVES) >= {"warm", "bright", "dark", "soft", "punchy", "airy", "lush", "crisp",
                                   "deep", "dusty", "lo-fi"}
    bright = ins.apply_adjective("piano", {}, "bright")
    dark = ins.apply_adjective("piano", {}, "dark")
    assert dark["cutoff"] < ins.PATCHES["piano"].params["cutoff"] < bright["cutoff"]
    assert ins.apply_adjective("piano", {}, "bright", amount=0.0)["cutoff"] == ins.PATCHES["piano"].params["cutoff"]
    very = {}
    for _ in range(20):
        very = ins.apply_adjective("pad", very, "lush")
    assert very["voices"] == ins.TONE_PARAMS["voices"].high
    assert ins.apply_adjective("synth_bass", {}, "lofi") == ins.apply_adjective("synth_bass", {}, "lo-fi")
    assert ins.apply_adjective("drum_kit", {}, "punchy")["punch"] > ins.PATCHES["drum_kit"].params["punch"]
    for adjective, effects in ins.ADJECTIVE_EFFECTS.items():
        assert adjective in ins.ADJECTIVES and set(effects) <= set(EFFECT_TYPES)
    with pytest.raises(InvalidValue, match="expected one of warm, bright"):
        ins.apply_adjective("piano", {}, "purple")
    with pytest.raises(InvalidValue, match="instrument='kazoo'"):
        ins.apply_adjective("kazoo", {}, "warm")


def test_bright_sounds_brighter_than_dark():
    def centroid(tone):
        x = play("synth_lead", [Note(57, 0, 2, 100)], tone=tone, seconds=1.0)
        p = np.abs(np.fft.rfft(x)) ** 2
        return (np.fft.rfftfreq(len(x), 1 / SR) * p).sum() / p.sum()

    assert centroid(ins.apply_adjective("synth_lead", {}, "dark")) < centroid({}) < centroid(
        ins.apply_adjective("synth_lead", {}, "bright"))


def test_tone_overrides_are_checked():
    with pytest.raises(InvalidValue, match=r"piano.cutoff=99999"):
        play("piano", [Note(60, 0, 1, 100)], tone={"cutoff": 99999})
    with pytest.raises(InvalidValue, match="fm_ratio"):
        play("piano", [Note(60, 0, 1, 100)], tone={"fm_ratio": 2.0})


def test_the_synth_is_differentiable():
    k = torch.arange(1, 40)
    amps = (1.0 / k).float().requires_grad_()
    cutoff = torch.tensor(2000.0, requires_grad=True)
    shaped = amps[None] * lowpass_gain(k * 110.0, cutoff, 0.2)
    cycles = torch.arange(2000) * (110.0 / SR)
    x = read_table(pack_tables(wavetables(shaped)), torch.zeros(1), cycles)
    attack = torch.tensor(0.01, requires_grad=True)
    env = adsr(torch.arange(2000) / SR, torch.tensor(0.05), attack=0.01, decay=attack * 10, sustain=0.5,
               release=0.1, end=torch.tensor(0.2))
    (x * env).pow(2).mean().backward()
    assert torch.isfinite(cutoff.grad) and cutoff.grad != 0 and amps.grad.abs().sum() > 0 and attack.grad != 0
    decay = torch.tensor([0.5], requires_grad=True)
    karplus_strong(torch.tensor([220.0]), 2000, SR, decay=decay).pow(2).sum().backward()
    assert torch.isfinite(decay.grad).all() and decay.grad.abs().sum() > 0
