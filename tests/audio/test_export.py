"""Export round trips: WAV and FLAC bit-exact, MP3 length, MIDI notes/tempo/key/tracks, manifests."""

from __future__ import annotations

import hashlib
import json
import zipfile

import mido
import numpy as np
import pytest
import soundfile as sf

from orchestria_lab.audio import render
from orchestria_lab.audio.export import export_state, quantise, resolve_format
from orchestria_lab.errors import InvalidValue, NotFound
from orchestria_lab.music.midi import read_midi, song_to_stems, write_midi
from orchestria_lab.music.vocabulary import GM_PROGRAMS
from orchestria_lab.session.export import reproduce_export
from orchestria_lab.state import Edit, Effect, Meta, Note, State, Stem

SR = 16000


def small_state(**meta) -> State:
    stems = (
        Stem("chords", role="chords", instrument="piano", notes=[Note(60, 0, 1.5, 90), Note(64, 0.5, 0.25, 70),
                                                                  Note(67, 1 / 3, 2 / 3, 60)],
             effects=[Effect("reverb", {"decay": 0.6})]),
        Stem("drums", role="drums", instrument="drum_kit", notes=[Note(36, 0, 0.25, 120), Note(42, 0.5, 0.25, 80)]),
        Stem("lead", role="lead", instrument="synth_lead", name="Lead Line", pan=0.4, notes=[Note(72, 1, 1, 100)]),
        Stem("pad", role="pad", instrument="pad"),  # no notes: still a track
    )
    return State(Meta(**{"bpm": 96, "key": "D dorian", "genre": "pop", "bars": 1, "sample_rate": SR,
                         "time_signature": "3/4", **meta}), stems)


@pytest.mark.parametrize("suffix, bits", [(".wav", 16), (".wav", 24), (".flac", 16), (".flac", 24)])
def test_pcm_reads_back_identical(tmp_path, suffix, bits):
    state = small_state()
    [path] = export_state(state, tmp_path / f"mix{suffix}", bit_depth=bits)
    back, sr = sf.read(path, dtype="int32", always_2d=True)
    expected = quantise(render.render_mix(state), bits).T << (32 - bits)
    assert sr == SR and back.shape == (render.loop_samples(state), 2)
    assert np.array_equal(back, expected)


def test_float_wav_reads_back_identical(tmp_path):
    state = small_state()
    [path] = export_state(state, tmp_path / "mix.wav", bit_depth="float", loop=False)
    back, _ = sf.read(path, dtype="float32", always_2d=True)
    assert np.array_equal(back.T, render.render_mix(state, loop=False))


def test_mp3_decodes_to_the_right_length(tmp_path):
    state = small_state(sample_rate=44100, bars=2)
    [path] = export_state(state, tmp_path / "mix.mp3")
    info = sf.info(path)
    n = render.loop_samples(state)
    assert info.samplerate == 44100 and info.channels == 2
    assert info.frames == n  # the LAME info tag tells the decoder to trim delay and padding
    size_kbps = path.stat().st_size * 8 / (n / 44100) / 1000
    assert size_kbps == pytest.approx(192, rel=0.1)
    decoded, _ = sf.read(path, dtype="float32")
    original = render.render_mix(state)[0]
    lag = np.argmax(np.correlate(decoded[:4000, 0], original[:2000], "valid"))
    assert lag == 0 and np.abs(decoded).max() > 0.1  # and it is in time


def test_midi_reads_back_to_the_same_notes_tempo_key_and_tracks(tmp_path):
    state = small_state()
    path = write_midi(state, tmp_path / "song.mid")
    song = read_midi(path)
    assert song.bpm == 96 and song.key == "D dorian" and song.time_signature == "3/4"
    assert [t.name for t in song.tracks] == ["chords", "drums", "Lead Line", "pad"]
    for stem, track in zip(state.stems, song.tracks, strict=True):
        assert track.notes == stem.notes
        assert track.program == GM_PROGRAMS[stem.instrument] and track.is_drum == stem.is_drums
    rebuilt = song_to_stems(song)
    assert [(s.role, s.instrument, s.notes) for s in rebuilt] == [
        (s.role, s.instrument, s.notes) for s in state.stems]


def test_midi_is_standard_for_other_tools(tmp_path):
    path = write_midi(small_state(key="Bb"), tmp_path / "song.mid")
    mid = mido.MidiFile(path)
    names, channels, programs = [], {}, {}
    key = tempo = sig = None
    for track in mid.tracks:
        for msg in track:
            if msg.type == "track_name":
                names.append(msg.name)
                current = msg.name
            elif msg.type == "note_on":
                channels.setdefault(current, set()).add(msg.channel)
            elif msg.type == "program_change":
                programs[current] = msg.program
            elif msg.type == "key_signature":
                key = msg.key
            elif msg.type == "set_tempo":
                tempo = mido.tempo2bpm(msg.tempo)
            elif msg.type == "time_signature":
                sig = (msg.numerator, msg.denominator)
    assert {"chords", "drums", "Lead Line"} <= set(names)
    assert channels["drums"] == {9} and 9 not in channels["chords"] | channels["Lead Line"]
    assert programs["chords"] == GM_PROGRAMS["piano"] and programs["Lead Line"] == GM_PROGRAMS["synth_lead"]
    assert key == "Bb" and tempo == pytest.approx(96) and sig == (3, 4)
    foreign = song_to_stems(read_midi(path))  # a file read the way another tool's file would be
    assert [s.stem_id for s in foreign] == ["chords", "drums", "lead-line", "pad"]


def test_stems_go_to_a_folder_or_a_zip(tmp_path):
    state = small_state()
    files = export_state(state, tmp_path / "stems", stems=True, format="flac")
    assert [p.name for p in files] == ["chords.flac", "drums.flac", "Lead-Line.flac", "pad.flac"]
    total = sum(sf.read(p, dtype="float64")[0] for p in files)
    assert np.abs(total).max() > 0.05
    assert max(np.abs(sf.read(p)[0]).max() for p in files) <= 10 ** (-1 / 20) + 1e-6
    [archive] = export_state(state, tmp_path / "stems.zip", stems=["drums", "chords"])
    assert zipfile.ZipFile(archive).namelist() == ["drums.wav", "chords.wav"]
    again = export_state(state, tmp_path / "again.zip", stems=["drums", "chords"])[0]
    assert archive.read_bytes() == again.read_bytes()
    flacs = export_state(state, tmp_path / "named.flac", stems=["lead"])
    assert [p.relative_to(tmp_path).as_posix() for p in flacs] == ["named/Lead-Line.flac"]
    midis = export_state(state, tmp_path / "midi", stems=["lead"], format="midi")
    assert [t.name for t in read_midi(midis[0]).tracks] == ["Lead Line"]
    with pytest.raises(NotFound, match="Available: chords, drums, lead, pad"):
        export_state(state, tmp_path / "x", stems=["bass"])


def test_format_comes_from_the_suffix_or_the_argument():
    assert resolve_format("a.WAV") == "wav" and resolve_format("a.mid") == "midi"
    assert resolve_format("a", "flac") == "flac"
    with pytest.raises(InvalidValue, match="one of wav, flac, mp3, midi"):
        resolve_format("a.ogg")
    with pytest.raises(InvalidValue, match="bit_depth"):
        export_state(small_state(), "x.flac", bit_depth="float")


def test_session_export_writes_a_manifest_that_reproduces_the_files(session, tmp_path):
    state = small_state()
    small = {"sample_rate": SR, "bars": 2}  # keep the test quick
    session.commit(Edit(add=state.stems, meta=small), command="add a band", agents=("harmony", "drums"))
    session.commit(Edit(update=[state.stem("lead").evolve(gain_db=-3.0)]), command="lead quieter", agents=("mix",))
    files = session.export(tmp_path / "out" / "song.wav", version=1, bit_depth=16)
    audio, manifest_path = files
    assert manifest_path.name == "song.wav.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["session_id"] == session.id and manifest["version"] == 1
    assert [c["command"] for c in manifest["commands"]] == ["create session", "add a band"]
    assert manifest["agents"] == ["drums", "harmony"] and manifest["package"]["version"]
    assert manifest["seeds"]["versions"]["1"] == session.record(1).seed
    assert manifest["files"][0]["sha256"] == hashlib.sha256(audio.read_bytes()).hexdigest()
    again = reproduce_export(manifest_path, tmp_path / "again" / "song.wav")
    assert again[0].read_bytes() == audio.read_bytes()
    stems = session.export(tmp_path / "stems.mp3", stems=True)
    assert stems[-1] == tmp_path / "stems" / "manifest.json" and len(stems) == 5
    assert json.loads(stems[-1].read_text())["format"] == "mp3" and stems[0].suffix == ".mp3"
    midi = session.export(tmp_path / "song", format="midi")
    assert midi[0].suffix == ".mid" and read_midi(midi[0]).bpm == session.bpm
