"""The master bus (issue 14, item 2): glue then a true-peak limiter, a loudness target by name,
its settings in the manifest, and stems that sum to the mix because they share its gain."""

from __future__ import annotations

import json

import numpy as np
import pyloudnorm
import pytest
import scipy.signal as sig
import soundfile as sf

from orchestria_lab.audio.dynamics import (
    MASTER_BUS,
    block_stats,
    gated_loudness,
    glue_reduction,
    loudness_block,
    master,
)
from orchestria_lab.audio.export import LOUDNESS
from orchestria_lab.errors import InvalidValue
from orchestria_lab.session import Session, SQLiteStore

SR = 22050


@pytest.fixture(scope="module")
def song() -> Session:
    s = Session.create(bpm=124, key="Fm", genre="house", bars=4, sample_rate=SR, seed=8, store=SQLiteStore(":memory:"))
    for text in ("add a house beat", "add a bass line", "add piano chords", "add a lead melody", "add a pad"):
        s.command(text)
    return s


def read(path) -> np.ndarray:
    audio, _ = sf.read(str(path), dtype="float64", always_2d=True)
    return audio.T


def true_peak_db(audio: np.ndarray) -> float:
    return float(20 * np.log10(np.abs(sig.resample_poly(audio, 4, 1, axis=-1)).max()))


@pytest.mark.parametrize("name", ["streaming", "default", "club"])
def test_the_mix_is_at_the_loudness_named_with_its_true_peaks_under_the_ceiling(song, tmp_path, name):
    mix = read(song.export(tmp_path / f"{name}.wav", bit_depth="float", loudness=name)[0])
    loudness = pyloudnorm.Meter(SR).integrated_loudness(mix.T)
    assert loudness == pytest.approx(LOUDNESS[name], abs=0.7 if name == "club" else 0.4)  # a club master limits hard
    assert true_peak_db(mix) <= -0.95


def test_a_loudness_that_is_not_one_says_what_would_be(song, tmp_path):
    with pytest.raises(InvalidValue, match="streaming .* club"):
        song.export(tmp_path / "x.wav", loudness="very loud")
    with pytest.raises(InvalidValue, match="-30 to -6"):
        song.export(tmp_path / "x.wav", loudness=0)


def test_the_manifest_says_what_the_master_bus_did(song, tmp_path):
    files = song.export(tmp_path / "m.wav", loudness="club")
    manifest = json.loads(files[-1].read_text())
    assert manifest["master"]["target_lufs"] == -9.0
    assert manifest["master"]["true_peak_ceiling_dbtp"] == -1.0
    assert manifest["master"]["glue_ratio"] == MASTER_BUS.glue_ratio
    assert "true-peak limiter" in manifest["master"]["chain"]


def test_exported_stems_sum_to_the_mastered_mix(song, tmp_path):
    stems = [read(p) for p in song.export(tmp_path / "stems", stems=True, bit_depth="float") if p.suffix == ".wav"]
    mix = read(song.export(tmp_path / "mix.wav", bit_depth="float")[0])
    total = sum(stems)
    assert total.shape == mix.shape
    # the same gain on every stem as on the mix, and each loses its share of the mix's DC: equal to float rounding
    assert np.abs(total - mix).max() < 1e-4


def test_the_glue_is_gentle_on_a_mix_and_catches_a_burst():
    rng = np.random.default_rng(0)
    bed = (rng.standard_normal((2, SR * 4)) * 0.05).astype(np.float32)
    burst = bed.copy()
    burst[:, SR * 2:SR * 2 + SR // 4] *= 6  # a quarter second 15 dB over the rest
    block = loudness_block(SR)
    for audio, most in ((bed, 0.2), (burst, MASTER_BUS.glue_max_db)):
        power, _ = block_stats(audio, SR, block)
        gr = glue_reduction(power, block, SR, gated_loudness(power, block, SR))
        assert gr.max() <= most + 1e-9
    assert gr[(SR * 2 + SR // 8) // block] > 1.0  # in the burst, it works
    out = master(burst.copy(), SR, loop=True)
    assert true_peak_db(out.astype(np.float64)) <= -0.95
