"""Your own MIDI (issue 15, item 1): a session made from a file, tracks added to one, roles guessed
from channel, program and register, and bad files refused with what is wrong and no version made."""

from __future__ import annotations

import io

import mido
import pretty_midi
import pytest

from orchestria_lab.errors import InvalidValue, LimitExceeded
from orchestria_lab.music.analysis import estimate_key
from orchestria_lab.session import Session, SQLiteStore

SR = 22050


def song_file(tmp_path, *, tempo: float | None = 96.0, key: str | None = None, bars: int = 4) -> bytes:
    """Four tracks as a person might record them: a flute line in A minor, block chords, a low line
    on a piano program and a kit on channel 10; every track name says nothing of its role."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo or 120.0)
    beat = 60.0 / (tempo or 120.0)
    lead = pretty_midi.Instrument(program=73, name="Take 1")
    for i, p in enumerate([69, 71, 72, 74, 76, 77, 79, 81] * (bars // 2)):  # one a beat
        lead.notes.append(pretty_midi.Note(100, p, i * beat, (i + 0.9) * beat))
    keys = pretty_midi.Instrument(program=4, name="Track 2")
    for b in range(bars):
        for p in ((57, 60, 64), (53, 57, 60), (55, 59, 62), (52, 55, 59))[b % 4]:
            keys.notes.append(pretty_midi.Note(80, p, b * 4 * beat, (b * 4 + 3.9) * beat))
    low = pretty_midi.Instrument(program=0, name="Track 3")
    for b in range(bars * 2):
        low.notes.append(pretty_midi.Note(90, (45, 41, 43, 40)[(b // 2) % 4], b * 2 * beat, (b * 2 + 1.9) * beat))
    kit = pretty_midi.Instrument(program=0, is_drum=True, name="Track 4")
    for b in range(bars * 4):
        kit.notes.append(pretty_midi.Note(100, 36 if b % 2 == 0 else 38, b * beat, (b + 0.25) * beat))
    pm.instruments += [lead, keys, low, kit]
    if key:
        pm.key_signature_changes.append(pretty_midi.KeySignature(pretty_midi.key_name_to_key_number(key), 0))
    buf = io.BytesIO()
    pm.write(buf)
    data = buf.getvalue()
    if tempo is None:  # no set_tempo at all: drop pretty_midi's default one
        mid = mido.MidiFile(file=io.BytesIO(data))
        for track in mid.tracks:
            track[:] = [m for m in track if m.type != "set_tempo"]
        out = io.BytesIO()
        mid.save(file=out)
        data = out.getvalue()
    return data


def store() -> SQLiteStore:
    return SQLiteStore(":memory:")


def test_a_session_from_a_file_reads_its_tempo_metre_and_guesses_each_role(tmp_path):
    path = tmp_path / "mine.mid"
    path.write_bytes(song_file(tmp_path))
    s = Session.from_midi(path, genre="pop", sample_rate=SR, store=store())
    assert (s.version, s.bpm, s.time_signature, s.bars) == (1, 96, "4/4", 4)
    roles = dict(zip(s.stems["name"], s.stems["role"], strict=True))
    assert roles == {"Take 1": "melody", "Track 2": "chords", "Track 3": "bass", "Track 4": "drums"}
    summary = s.records[-1].summary
    assert "channel 10" in summary and "register" in summary and "three notes" in summary
    assert s.records[-1].kind == "import"
    assert s.key == "Am" and "found from its notes" in summary
    bass = s.state.stem(s.stems.set_index("name").loc["Track 3", "stem_id"])
    assert bass.instrument in ("synth_bass", "sub_bass", "bass_guitar")  # a bass part gets a bass, not the program's piano
    assert [n.start for n in bass.notes][:3] == [0.0, 2.0, 4.0]  # on the beats the file wrote
    assert s.stems["level_db"].ne(0).all()  # levelled to their roles, like any new stem


def test_explicit_key_and_tempo_win_and_a_stated_key_is_read(tmp_path):
    data = song_file(tmp_path, key="C")
    s = Session.from_midi(data, genre="pop", sample_rate=SR, store=store())
    assert s.key == "C" and "from the file" in s.records[-1].summary
    t = Session.from_midi(data, genre="pop", key="E minor", bpm=120, sample_rate=SR, store=store())
    assert (t.key, t.bpm) == ("Em", 120)


def test_a_file_without_a_tempo_whose_notes_keep_midis_default_takes_it_and_says_so(tmp_path):
    s = Session.from_midi(song_file(tmp_path, tempo=None), genre="pop", sample_rate=SR, store=store())
    assert s.bpm == 120 and "MIDI's default, which its notes keep: the file sets none" in s.records[-1].summary


def as_played_without_a_tempo(data: bytes) -> bytes:
    """The file's notes at the same moments in seconds, in a file that sets no tempo (read at
    MIDI's default of 120 bpm): a performance recorded without a click, as a DAW might export it."""
    played = pretty_midi.PrettyMIDI(io.BytesIO(data))
    out = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    out.instruments = played.instruments
    buf = io.BytesIO()
    out.write(buf)
    mid = mido.MidiFile(file=io.BytesIO(buf.getvalue()))
    for track in mid.tracks:
        track[:] = [m for m in track if m.type != "set_tempo"]
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


@pytest.mark.parametrize("bpm", [75, 93, 128])
def test_a_file_without_a_tempo_gets_the_tempo_its_notes_keep(tmp_path, bpm):
    """Parts the agents made at ``bpm``, saved in a file that sets no tempo: the tempo is found from
    the notes, the beats are counted at it, and the summary says so."""
    made = Session.create(bpm=bpm, key="Am", genre="pop", bars=4, sample_rate=SR, seed=5, store=store())
    for text in ("add a drum beat", "add a bass line", "add a melody"):
        made.command(text)
    data = as_played_without_a_tempo(made.export(tmp_path / "m.mid")[0].read_bytes())
    back = Session.from_midi(data, genre="pop", sample_rate=SR, store=store())
    assert back.bpm == pytest.approx(bpm, abs=1.0)
    assert "found from its notes" in back.records[-1].summary
    drums = {n.start for n in back.state.stem(back.stems.set_index("role").loc["drums", "stem_id"]).notes}
    assert {round(b) for b in drums if abs(b - round(b)) < 0.05} >= {0, 1, 2, 3, 4, 8}  # the beats line up again
    # a session at another tempo it joins plays its beats, and says what the notes keep
    joined = Session.create(bpm=110, key="Am", genre="pop", bars=4, sample_rate=SR, store=store())
    record = joined.import_midi(data, role="drums", name="take")
    assert f"sets no tempo; its notes keep {back.bpm:g} bpm: its beats are played at the session's 110" in record.summary


def test_import_adds_tracks_on_the_sessions_grid_and_says_what_it_left_out(tmp_path):
    s = Session.create(bpm=90, key="Am", genre="lo-fi", bars=2, sample_rate=SR, store=store())
    s.command("add a boom bap drum beat")
    record = s.import_midi(song_file(tmp_path, bars=4), name="mine")
    assert record.kind == "import" and s.version == 2
    assert "at 96 bpm: its beats are played at the session's 90" in record.summary
    assert "past the song's end left out" in record.summary
    assert s.bars == 2  # the song keeps its length: nothing is stretched to fit
    assert all(n.start < 8 for st in s.state.stems for n in st.notes)
    assert s.state.stem("drums").notes  # the session's own drums are still there, beside the imported kit
    only = s.import_midi(song_file(tmp_path), role="pad", bars=1)
    assert all(st.role == "pad" for st in s.state.stems[-4:])
    assert "pad (as asked)" in only.summary


@pytest.mark.parametrize(("data", "says"), [
    (b"", "empty"),
    (b"RIFF....WAVEfmt ", "not MIDI"),
    (b"MThd\x00\x00\x00\x06\x00\x02\x00\x01\x01\xe0MTrk\x00\x00\x00\x04\x00\xff\x2f\x00", "format 2"),
    (b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x04\x00\xff\x2f\x00", "has none"),
])
def test_bad_files_are_refused_with_what_is_wrong_and_make_no_version(data, says):
    s = Session.create(bpm=90, key="Am", genre="lo-fi", bars=2, sample_rate=SR, store=store())
    with pytest.raises(InvalidValue, match=says):
        s.import_midi(data)
    assert s.version == 0


def test_an_absurd_tempo_too_long_a_song_and_too_big_a_file_are_refused(tmp_path):
    mid = mido.MidiFile()
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(900)),
                            mido.Message("note_on", note=60, velocity=90, time=0),
                            mido.Message("note_off", note=60, velocity=0, time=480)])
    mid.tracks.append(track)
    buf = io.BytesIO()
    mid.save(file=buf)
    with pytest.raises(InvalidValue, match="20 to 300 bpm"):
        Session.from_midi(buf.getvalue(), genre="pop", store=store())
    long = mido.MidiFile()
    long.tracks.append(mido.MidiTrack([mido.Message("note_on", note=60, velocity=90, time=0),
                                       mido.Message("note_off", note=60, velocity=0, time=480 * 4 * 300)]))
    buf = io.BytesIO()
    long.save(file=buf)
    with pytest.raises(InvalidValue, match="256 bars"):
        Session.from_midi(buf.getvalue(), genre="pop", store=store())
    with pytest.raises(LimitExceeded, match="MIDI file's size"):
        Session.from_midi(b"MThd" + b"\0" * (1 << 20), genre="pop", store=store())


def test_our_own_export_comes_back_with_the_roles_it_had(tmp_path):
    s = Session.create(bpm=100, key="D", genre="pop", bars=2, sample_rate=SR, seed=3, store=store())
    for text in ("add a drum beat", "add a bass line", "add an ambient pad"):
        s.command(text)
    path = s.export(tmp_path / "song.mid")[0]
    back = Session.from_midi(path, genre="pop", sample_rate=SR, store=store())
    assert sorted(back.stems["role"]) == sorted(s.stems["role"])
    assert back.key == "D" and "as the file records it" in back.records[-1].summary
    assert {st.stem_id: st.notes for st in back.state.stems} == {st.stem_id: st.notes for st in s.state.stems}


@pytest.mark.parametrize(("pitches", "key"), [((60, 62, 64, 65, 67, 69, 71), "C"), ((57, 59, 60, 62, 64, 65, 67, 69), "Am"),
                                              ((66, 68, 70, 71, 73, 75, 77, 78), "F#")])
def test_the_key_of_notes_is_found(pitches, key):
    from orchestria_lab.music.notes import Note

    assert estimate_key([Note(p, i, 1 + (p == pitches[0])) for i, p in enumerate(pitches)]) == key


def test_an_imported_drum_loop_comes_back_note_for_note(tmp_path):
    """Issue 15's done-when: a drum loop played by a person (off the grid, every velocity its own,
    kick, snare, hats open and closed, a crash) imports and exports again with every note as it was."""
    bpm, beat = 93.0, 60.0 / 93.0
    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    kit = pretty_midi.Instrument(program=0, is_drum=True, name="loop")
    rng = __import__("numpy").random.default_rng(5)
    for eighth in range(16):  # two bars of eighths, a little late or early, as played
        at = eighth * beat / 2 + float(rng.uniform(-0.012, 0.012)) + 0.02
        kit.notes.append(pretty_midi.Note(int(rng.integers(60, 110)), 46 if eighth % 4 == 3 else 42, at, at + 0.08))
        if eighth % 4 == 0:
            kit.notes.append(pretty_midi.Note(int(rng.integers(90, 127)), 36, at, at + 0.12))
        if eighth % 4 == 2:
            kit.notes.append(pretty_midi.Note(int(rng.integers(80, 120)), 38, at + 0.004, at + 0.1))
    kit.notes.append(pretty_midi.Note(118, 49, 0.02, 1.5))
    pm.instruments.append(kit)
    source = tmp_path / "loop.mid"
    pm.write(str(source))

    s = Session.from_midi(source, genre="hip-hop", sample_rate=SR, store=store())
    assert s.bpm == pytest.approx(bpm) and list(s.stems["role"]) == ["drums"]
    back = pretty_midi.PrettyMIDI(str(s.export(tmp_path / "again.mid")[0]))
    (drums,) = [i for i in back.instruments if i.is_drum]

    def played(notes):
        return sorted((n.pitch, n.start, n.end, n.velocity) for n in notes)

    written = pretty_midi.PrettyMIDI(str(source)).instruments[0].notes  # as the file holds them (its ticks)
    assert len(drums.notes) == len(written) == 25
    assert [(p, v) for p, _, _, v in played(drums.notes)] == [(p, v) for p, _, _, v in played(written)]
    tick = 60.0 / bpm / back.resolution
    for (_, start, end, _), (_, start0, end0, _) in zip(played(drums.notes), played(written), strict=True):
        assert abs(start - start0) <= tick and abs(end - end0) <= tick  # to the export's tick, never off the grid
