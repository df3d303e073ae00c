"""Long exports are made and written a block at a time (issue 11, item 2): what they write is
what the whole-array path writes, and their memory does not grow with the number of stems."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
import scipy.signal as sig
import soundfile as sf

import orchestria_lab.audio.export as export
import orchestria_lab.audio.stream as stream
from orchestria_lab.audio.dynamics import integrated_loudness
from orchestria_lab.audio.render import render_mix
from orchestria_lab.audio.stream import Spill, write_mix
from orchestria_lab.audio.writer import AudioWriter, _Halver, audio_bytes
from orchestria_lab.state import Effect, Meta, Note, State, Stem


def song(*, bars: int = 4, sr: int = 8000, stems: int = 4) -> State:
    """Parts that do and do not repeat, panned, with effects whose tails wrap round the loop."""
    parts = [
        Stem("bass", role="bass", instrument="sub_bass", notes=[Note(36 + (b % 3), b, 1.5, 100) for b in range(bars * 4)],
             effects=(Effect("distortion", {"drive": 6.0}),)),
        Stem("keys", role="chords", instrument="piano", pan=-0.6, gain_db=-3.0,
             notes=[Note(60 + (b * 7) % 12, b * 2, 2, 80) for b in range(bars * 2)],
             effects=(Effect("reverb", {"mix": 0.4}),)),
        Stem("beat", role="drums", instrument="drum_kit", notes=[Note(36 if b % 2 == 0 else 38, b * 0.5, 0.25, 110)
                                                                  for b in range(bars * 8)]),
        Stem("pad", role="pad", instrument="pad", pan=0.5, notes=[Note(57, 0, bars * 4, 70)],
             effects=(Effect("delay", {"mix": 0.3}),)),
    ]
    extra = [Stem(f"bass{i}", role="bass", instrument="sub_bass", notes=[Note(40 + i, b, 1, 90) for b in range(bars * 4)])
             for i in range(max(0, stems - len(parts)))]
    return State(Meta(bpm=120, key="C", genre="pop", bars=bars, sample_rate=sr), tuple((parts + extra)[:stems]))


def decoded(data: bytes) -> np.ndarray:
    audio, _ = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return audio.T


@pytest.mark.parametrize("loop", [True, False])
def test_a_mix_streamed_a_block_at_a_time_is_the_mix_rendered_whole(loop):
    state = song()
    whole = render_mix(state, cache=False, loop=loop)
    buf = io.BytesIO()
    write_mix(state, buf, "wav", bit_depth="float", loop=loop, cache=False, chunk=1500)  # many blocks, a partial last
    streamed = decoded(buf.getvalue())
    assert streamed.shape == whole.shape
    np.testing.assert_allclose(streamed, whole, atol=2e-7)  # the DC is summed in pieces: rounding, no more
    assert integrated_loudness(streamed, 8000) == pytest.approx(-14.0, abs=0.1)
    assert np.abs(streamed).max() <= 10 ** (-1 / 20)


def test_an_export_past_the_threshold_is_streamed_and_writes_what_a_short_one_would(tmp_path, monkeypatch):
    state = song()
    short = export.export_state(state, tmp_path / "short.flac", cache=False)[0]
    stems_short = export.export_state(state, tmp_path / "stems_short", stems=True, cache=False)
    streamed_with = []
    real = stream.mixdown

    def spy(*args, **kw):
        streamed_with.append(kw["on_disk"])
        return real(*args, **kw)

    monkeypatch.setattr(export, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "CHUNK", 1500)
    monkeypatch.setattr(stream, "mixdown", spy)
    monkeypatch.setattr(export, "mixdown", spy)
    long = export.export_state(state, tmp_path / "long.flac", cache=False)[0]
    stems_long = export.export_state(state, tmp_path / "stems_long", stems=True, cache=False)
    assert streamed_with == [True, True]
    a, b = decoded(short.read_bytes()), decoded(long.read_bytes())
    assert np.abs(a - b).max() <= 2 / 2**23  # 24-bit: at most one step apart, where the DC's rounding tips it
    assert [p.name for p in stems_long] == [p.name for p in stems_short]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(stems_short, stems_long, strict=True))


def test_streamed_stems_sum_to_the_mix_before_its_limiter(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "STREAM_BYTES", 0)
    state = song()
    files = export.export_state(state, tmp_path / "stems", stems=True, format="wav", bit_depth="float", cache=False)
    total = sum(decoded(f.read_bytes()) for f in files)
    mix = render_mix(state, cache=False)
    # the stems carry the loudness gain only; the mix is that sum through the limiter, so they
    # agree wherever the limiter is not working: most of the song, to well under a dB
    quiet = np.abs(total).max(axis=0) < 0.5 * 10 ** (-1 / 20)
    assert quiet.mean() > 0.5
    np.testing.assert_allclose(total[:, quiet], mix[:, quiet], atol=0.02)
    assert max(np.abs(decoded(f.read_bytes())).max() for f in files) <= 10 ** (-1 / 20) + 1e-6


def test_a_zip_of_stems_holds_the_files_a_folder_would(tmp_path, monkeypatch):
    import zipfile

    monkeypatch.setattr(export, "STREAM_BYTES", 0)
    state = song()
    folder = export.export_state(state, tmp_path / "stems", stems=True, cache=False)
    archive = export.export_state(state, tmp_path / "stems.zip", stems=True, cache=False)[0]
    with zipfile.ZipFile(archive) as zf:
        assert zf.namelist() == [p.name for p in folder]
        assert all(zf.read(p.name) == p.read_bytes() for p in folder)
    again = export.export_state(state, tmp_path / "again.zip", stems=True, cache=False)[0]
    assert again.read_bytes() == archive.read_bytes()  # the same bytes every time


def test_streamed_memory_does_not_grow_with_the_number_of_stems(tmp_path, monkeypatch):
    """Held whole, an export holds every stem; streamed, one stem and a few blocks."""
    def peak(state: State, *, limit: int, stems: bool) -> int:
        monkeypatch.setattr(export, "STREAM_BYTES", limit)
        target = tmp_path / f"{len(state.stems)}-{limit}-{stems}" / ("stems" if stems else "mix.wav")
        tracemalloc.start()
        try:
            export.export_state(state, target, stems=stems, cache=False)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    few, many = (song(bars=16, sr=8000, stems=k) for k in (2, 12))
    one_stem = 2 * 4 * few.meta.duration_s * 8000  # bytes of one stereo stem
    streamed = {}
    for stems in (False, True):
        streamed_few, streamed = peak(few, limit=0, stems=stems), peak(many, limit=0, stems=stems)
        assert streamed < streamed_few + 1.5 * one_stem, (stems, streamed_few, streamed)
    whole = peak(many, limit=1 << 40, stems=True)
    assert whole > 12 * one_stem and streamed < whole - 8 * one_stem, (whole, streamed)  # whole: every stem at once


def test_a_spill_on_disk_holds_what_one_in_memory_holds_whatever_the_ranges():
    rng = np.random.default_rng(5)
    with Spill(2, on_disk=True, page=7) as disk, Spill(2, on_disk=False) as memory:
        for _ in range(200):  # writes and adds across page edges, reads past the end
            start, length = int(rng.integers(0, 60)), int(rng.integers(1, 20))
            piece = rng.standard_normal((2, length)).astype(np.float32)
            add = rng.random() < 0.5
            for spill in (disk, memory):
                (spill.add if add else spill.write)(start, piece)
            a, b = int(rng.integers(0, 70)), int(rng.integers(0, 20))
            np.testing.assert_array_equal(disk.read(a, a + b), memory.read(a, a + b))
        assert disk.frames == memory.frames
        np.testing.assert_array_equal(np.concatenate(list(disk.blocks()), axis=1), memory.read(0, memory.frames))


def test_a_spill_on_disk_leaves_no_file_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    with Spill(2, on_disk=True) as s:
        s.write(0, np.ones((2, 10), np.float32))
        assert s.read(5, 15).sum() == 10.0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3"])
def test_a_file_written_in_pieces_is_the_file_written_whole(fmt):
    audio = (np.random.default_rng(1).standard_normal((2, 30001)) * 0.2).astype(np.float32)
    buf = io.BytesIO()
    with AudioWriter(buf, fmt, 44100, 2, bit_depth=24 if fmt != "mp3" else 16, bitrate=192) as w:
        for start in range(0, audio.shape[1], 7777):
            w.write(audio[:, start:start + 7777])
    assert buf.getvalue() == audio_bytes(audio, 44100, fmt, bit_depth=24 if fmt != "mp3" else 16, bitrate=192)


@pytest.mark.parametrize("length", [1, 63, 1000, 30001])
def test_halving_96k_for_mp3_in_pieces_is_halving_it_whole(length):
    x = np.random.default_rng(2).standard_normal((2, length)).astype(np.float32)
    for step in (1, 100, 4096):
        halver, pieces = _Halver(2), [x[:, s:s + step] for s in range(0, length, step)]
        got = np.concatenate([halver.push(p, last=i == len(pieces) - 1) for i, p in enumerate(pieces)], axis=1)
        np.testing.assert_allclose(got, sig.resample_poly(x, 1, 2, axis=1), atol=1e-5)


def test_a_96k_mp3_export_streamed_decodes_to_the_whole_one(tmp_path, monkeypatch):
    state = song(sr=96000, bars=1, stems=2)
    whole = export.export_state(state, tmp_path / "whole.mp3", cache=False)[0]
    monkeypatch.setattr(export, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "CHUNK", 20000)
    streamed = export.export_state(state, tmp_path / "streamed.mp3", cache=False)[0]
    a, b = decoded(whole.read_bytes()), decoded(streamed.read_bytes())
    assert a.shape == b.shape == (2, state.meta.duration_s * 48000)
    # the same audio: the encoder's choices may tip on a 16-bit step, so compare by level
    assert np.sqrt(np.mean((a - b) ** 2)) < 1e-3 * np.sqrt(np.mean(a ** 2))
