"""SoundFont instruments (issue 14, item 4), played by our own reader and kernel.

Exact checks run on a SoundFont this file writes (one sine sample, two velocity layers, two key
ranges); the rest on Debian's FluidR3 GM (MIT), which ``.ci/run`` installs. Without it the lane
fails, saying how to get it: it never skips.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from orchestria_lab.audio import soundfont
from orchestria_lab.audio.dynamics import true_peak
from orchestria_lab.errors import InvalidValue, NotFound
from orchestria_lab.session import Session, SQLiteStore
from orchestria_lab.state import Note

FLUID = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SR = 22050


@pytest.fixture(scope="module")
def fluid() -> Path:
    assert FLUID.is_file(), ("FluidR3 GM is missing: `apt-get install fluid-soundfont-gm` (Debian, MIT licence); "
                             ".ci/run installs it")
    return FLUID


def _chunk(cid: bytes, data: bytes) -> bytes:
    return cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def _list(kind: bytes, *chunks: bytes) -> bytes:
    return _chunk(b"LIST", kind + b"".join(chunks))


def write_sf2(path: Path, *, rate: int = 22050) -> Path:
    """A SoundFont of one preset ("Test Sine", program 5) over one instrument with three zones:
    keys 0-59 a sine recorded at A3 (57), looped; keys 60-127 at velocity 0-63 the same sine
    attenuated by 12 dB, at 64-127 a sine with its octave (brighter), both recorded at A4 (69)."""
    t = np.arange(rate)  # one second: 220 Hz and 440 Hz fit a whole number of cycles in it
    sine220 = np.sin(2 * np.pi * 220 * t / rate)
    sine440 = np.sin(2 * np.pi * 440 * t / rate)
    bright = 0.6 * sine440 + 0.4 * np.sin(2 * np.pi * 880 * t / rate)
    pad = np.zeros(46)
    waves = [sine220, sine440, bright]
    data, shdr, at = [], b"", 0
    for i, (wave, pitch) in enumerate(zip(waves, (57, 69, 69), strict=True)):
        pcm = np.round(wave * 16000).astype("<i2")
        data += [pcm, pad.astype("<i2")]
        shdr += struct.pack("<20sIIIIIBbHH", f"wave{i}".encode(), at, at + len(pcm), at, at + len(pcm), rate, pitch, 0, 0, 1)
        at += len(pcm) + len(pad)
    shdr += struct.pack("<20sIIIIIBbHH", b"EOS", 0, 0, 0, 0, 0, 0, 0, 0, 0)
    smpl = b"".join(d.tobytes() for d in data)

    def gen(oper: int, amount: int) -> bytes:
        return struct.pack("<HH", oper, amount & 0xFFFF)

    def rng(oper: int, lo: int, hi: int) -> bytes:
        return struct.pack("<HBB", oper, lo, hi)

    release = gen(38, -1200)  # half a second
    zones = [  # instrument zones: ranges first, sampleID last
        rng(43, 0, 59) + gen(54, 1) + release + gen(53, 0),
        rng(43, 60, 127) + rng(44, 0, 63) + gen(48, 120) + gen(54, 1) + release + gen(53, 1),
        rng(43, 60, 127) + rng(44, 64, 127) + gen(54, 1) + release + gen(53, 2),
    ]
    igen, ibag = b"", b""
    for z in zones:
        ibag += struct.pack("<HH", len(igen) // 4, 0)
        igen += z
    ibag += struct.pack("<HH", len(igen) // 4, 0)
    igen += gen(0, 0)
    inst = struct.pack("<20sH", b"Sines", 0) + struct.pack("<20sH", b"EOI", len(zones))
    pgen = gen(41, 0) + gen(0, 0)
    pbag = struct.pack("<HH", 0, 0) + struct.pack("<HH", 1, 0)
    phdr = struct.pack("<20sHHHIII", b"Test Sine", 5, 0, 0, 0, 0, 0) + struct.pack("<20sHHHIII", b"EOP", 0, 0, 1, 0, 0, 0)
    body = b"sfbk" + _list(b"INFO", _chunk(b"ifil", struct.pack("<HH", 2, 4)), _chunk(b"INAM", b"test\0")) \
        + _list(b"sdta", _chunk(b"smpl", smpl)) \
        + _list(b"pdta", _chunk(b"phdr", phdr), _chunk(b"pbag", pbag), _chunk(b"pmod", b"\0" * 10),
                _chunk(b"pgen", pgen), _chunk(b"inst", inst), _chunk(b"ibag", ibag), _chunk(b"imod", b"\0" * 10),
                _chunk(b"igen", igen), _chunk(b"shdr", shdr))
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


@pytest.fixture(scope="module")
def sines(tmp_path_factory) -> soundfont.SoundFont:
    return soundfont.load(write_sf2(tmp_path_factory.mktemp("sf2") / "sines.sf2"))


def pitch_of(audio: np.ndarray, sr: int) -> float:
    mono = audio.mean(axis=0)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono)), n=1 << 18))
    return float(np.argmax(spectrum) * sr / (1 << 18))


def centroid(audio: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio.mean(axis=0)))
    freqs = np.fft.rfftfreq(audio.shape[1], 1 / sr)
    return float((spectrum * freqs).sum() / spectrum.sum())


def play(font, name: str, notes, *, seconds: float = 2.0, drums: bool = False) -> np.ndarray:
    return soundfont.render_notes(font, name, notes, drums=drums, bpm=60, sr=SR, n_samples=int(seconds * SR), loop=False)


def test_the_zones_found_honour_key_and_velocity_ranges(sines):
    preset = sines.preset("Test Sine")
    assert preset is sines.preset("5")  # by GM program number too
    assert [v.sample.name for v in sines.voices(preset, 50, 100)] == ["wave0"]
    assert [v.sample.name for v in sines.voices(preset, 69, 40)] == ["wave1"]
    assert [v.sample.name for v in sines.voices(preset, 69, 100)] == ["wave2"]


@pytest.mark.parametrize(("key", "hz"), [(57, 220.0), (45, 110.0), (64, 329.63), (69, 440.0)])
def test_a_note_sounds_at_its_pitch_from_the_zones_root_key(sines, key, hz):
    audio = play(sines, "Test Sine", [Note(key, 0, 1.5, 100)])
    assert pitch_of(audio[:, : int(1.4 * SR)], SR) == pytest.approx(hz, rel=0.004)


def test_velocity_layers_change_the_sound_not_only_the_level(sines):
    soft = play(sines, "Test Sine", [Note(69, 0, 1, 40)])
    hard = play(sines, "Test Sine", [Note(69, 0, 1, 110)])
    assert np.sqrt(np.mean(hard**2)) > 3 * np.sqrt(np.mean(soft**2))
    assert centroid(hard, SR) > 1.3 * centroid(soft, SR)  # the hard layer has its octave


def test_a_looped_sample_sustains_past_its_length_and_the_release_dies_away(sines):
    audio = play(sines, "Test Sine", [Note(57, 0, 3.0, 100)], seconds=4.0)  # 3 s held: the sample is 1 s
    rms = [float(np.sqrt(np.mean(audio[:, int(a * SR):int(b * SR)] ** 2))) for a, b in ((0.5, 1.0), (2.5, 3.0), (3.6, 4.0))]
    assert rms[1] == pytest.approx(rms[0], rel=0.05)  # still sounding, at its level, two seconds on
    assert rms[2] < 0.01 * rms[0]  # half a second of release: -100 dB over it


def test_a_missing_or_broken_file_and_an_unknown_preset_say_what_is_wrong(tmp_path, sines):
    with pytest.raises(NotFound):
        soundfont.load(tmp_path / "nope.sf2")
    broken = tmp_path / "broken.sf2"
    broken.write_bytes(b"RIFF\x10\0\0\0WAVEfmt junk")
    with pytest.raises(InvalidValue, match="SoundFont 2"):
        soundfont.load(broken)
    with pytest.raises(InvalidValue, match="Test Sine"):
        sines.preset("Trombone")


def test_fluidr3_voices_a_session_end_to_end(fluid, tmp_path):
    s = Session.create(bpm=100, key="C", genre="pop", bars=4, sample_rate=SR, seed=2, store=SQLiteStore(":memory:"),
                       soundfont=fluid)
    for text in ("add a drum beat", "add a bass line", "add piano chords"):
        s.command(text)
    s.voice("chords", "sf2:Yamaha Grand Piano")
    s.voice("bass", "sf2:33")  # General MIDI 34: fingered bass
    s.voice("drums", "sf2:0")  # bank 128: the standard kit
    table = s.stems.set_index("stem_id")
    assert table.loc["chords", "instrument"] == "sf2:Yamaha Grand Piano"
    assert np.isfinite(table["loudness_lufs"]).all()
    files = s.export(tmp_path / "mix.wav")
    stems = s.export(tmp_path / "stems", stems=True)
    import soundfile as sf

    mix, _ = sf.read(str(files[0]), always_2d=True)
    assert 20 * np.log10(true_peak(mix.T.astype(np.float32), SR)) <= -0.95
    assert len([p for p in stems if p.suffix == ".wav"]) == 3
    piano = s.render_stem("chords")
    assert pitch_of(piano, SR) > 60  # a piano, not silence or noise at DC


def test_an_instrument_the_file_lacks_is_refused_with_what_it_has(fluid):
    s = Session.create(bpm=100, key="C", genre="pop", bars=2, sample_rate=SR, store=SQLiteStore(":memory:"), soundfont=fluid)
    s.command("add piano chords")
    with pytest.raises(Exception, match="Yamaha Grand Piano|preset"):
        s.voice("chords", "sf2:Theremin Deluxe")
    assert s.version == 1
