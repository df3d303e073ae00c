"""Sections as data: named bar ranges in the song, defined and renamed by command, never a note changed."""

from __future__ import annotations

import pytest

from orchestria_lab import Session
from orchestria_lab.errors import CommandNotUnderstood, OrchestriaError
from orchestria_lab.music.midi import read_markers, write_midi


@pytest.fixture
def song(store) -> Session:
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, bars=16, store=store)
    s.command("add warm piano chords")
    s.command("add a boom bap drum beat")
    return s


def test_naming_bars_makes_sections_and_changes_no_note(song):
    notes = song.notes
    song.command("make bars 9 to 16 the chorus")
    song.command("call the first 4 bars the intro")
    song.command("make bars 5 to 8 a verse")
    assert song.sections[["name", "start_bar", "bars", "last_bar"]].values.tolist() == [
        ["intro", 1, 4, 4], ["verse", 5, 4, 8], ["chorus", 9, 8, 16]]
    assert song.notes.equals(notes)
    diff = song.diff(song.version - 1)
    assert diff["field"].tolist() == ["sections"]
    again = Session.open(song.id, store=song.store)  # stored with the version
    assert again.sections.equals(song.sections)


def test_renaming_and_a_second_of_a_kind(song):
    song.command("make bars 1 to 8 the chorus")
    song.command("make bars 9 to 16 a chorus")
    assert song.sections["name"].tolist() == ["chorus", "chorus 2"]
    song.command("rename the chorus to breakdown")
    assert song.sections["name"].tolist() == ["breakdown", "chorus 2"]


@pytest.mark.parametrize(("setup", "text", "words"), [
    (["make bars 1 to 8 the verse"], "make bars 5 to 12 the chorus", ["overlap", "verse (bars 1-8)"]),
    ([], "make bars 9 to 20 the chorus", ["1 to 16"]),
    (["make bars 1 to 8 the verse"], "mute the drums in the chorus", ["verse (bars 1-8)"]),
    ([], "make the chorus louder", ["no sections yet"]),
    ([], "add a 250 bar bridge", ["256"]),
    (["make bars 1 to 8 the verse"], "rename the bridge to outro", ["verse (bars 1-8)"]),
])
def test_bad_sections_are_refused_with_what_would_be_valid_and_make_no_version(song, setup, text, words):
    for t in setup:
        song.command(t)
    version = song.version
    with pytest.raises(OrchestriaError) as info:  # refused as not understood, or as an invalid value
        song.command(text)
    assert all(w in str(info.value) for w in words), str(info.value)
    assert song.version == version


def test_a_section_is_a_scope_and_an_agent_that_cannot_limit_itself_refuses(song):
    song.command("make bars 9 to 16 the chorus")
    with pytest.raises(CommandNotUnderstood, match="cannot be limited to the chorus"):
        song.command("make the drums brighter in the chorus")
    assert song.command("regenerate the drums in the chorus").message.startswith("regenerated drums in the chorus")


def test_shortening_cuts_the_sections_with_the_song(song):
    song.command("make bars 9 to 16 the chorus")
    song.command("make bars 1 to 8 the verse")
    song.command("make it 12 bars long")
    assert song.sections[["name", "start_bar", "bars"]].values.tolist() == [["verse", 1, 8], ["chorus", 9, 4]]


def test_midi_export_marks_each_section(song, tmp_path):
    song.command("make bars 9 to 16 the chorus")
    song.command("make bars 1 to 8 the verse")
    assert read_markers(write_midi(song.state, tmp_path / "s.mid")) == [("verse", 0.0), ("chorus", 32.0)]
