"""``orchestria session ...`` on the local store: plain output for people, JSON for scripts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import soundfile

from orchestria_lab.session.session import Session
from orchestria_lab.session.store import default_store

NEW = ("--bpm", "90", "--key", "Cm", "--genre", "lo-fi", "--bars", "2", "--seed", "7")


@pytest.fixture
def sid(orchestria) -> str:
    ran = orchestria("session", "create", *NEW)
    assert ran.rc == 0, ran.err
    return ran.out.strip()


def test_create_prints_only_the_new_id_and_a_note_on_stderr(orchestria):
    ran = orchestria("session", "create", *NEW)
    assert ran.rc == 0 and ran.out.count("\n") == 1
    session = Session.open(ran.out.strip(), default_store())
    assert (session.version, session.bpm, session.key, session.bars, session.seed) == (0, 90, "Cm", 2, 7)
    assert session.id in ran.err and "90 bpm, Cm, lo-fi, 4/4, 2 bars" in ran.err


def test_every_action_prints_valid_json_and_nothing_else_on_stdout(orchestria, sid, tmp_path):
    made = json.loads(orchestria("session", "create", *NEW, "--time-signature", "3/4", "--json").out)
    assert made["version"] == 0 and made["meta"]["time_signature"] == "3/4" and made["id"].startswith("ses_")

    done = json.loads(orchestria("session", "command", sid, "add drums", "--json").out)
    assert done["version"] == 1 and done["dry_run"] is False and done["message"]
    assert done["plan"][0]["agent"] == "drums" and done["diff"][0]["what"] == "added"

    planned = json.loads(orchestria("session", "command", sid, "add a bass line", "--dry-run", "--json").out)
    assert planned["dry_run"] is True and planned["version"] == 1 and planned["plan"][0]["agent"] == "bass"
    assert Session.open(sid, default_store()).version == 1  # a dry run stores nothing

    shown = json.loads(orchestria("session", "show", sid, "--json").out)
    local = Session.open(sid, default_store())
    assert (shown["id"], shown["version"], shown["meta"]) == (sid, 1, local.meta)
    assert [s["stem_id"] for s in shown["stems"]] == ["drums"] and shown["stems"][0]["loudness_lufs"] < 0
    assert [(v["version"], v["parent"], v["kind"]) for v in shown["versions"]] == [(0, None, "create"), (1, 0, "edit")]

    ran = orchestria("session", "export", sid, str(tmp_path / "loop.flac"), "--json", "--loudness", "streaming")
    exported = json.loads(ran.out)
    assert exported["version"] == 1
    assert [Path(f).name for f in exported["files"]] == ["loop.flac", "loop.flac.manifest.json"]
    assert "Exporting v1" in ran.err  # notes go to stderr

    back = json.loads(orchestria("session", "rollback", sid, "0", "--json").out)
    assert (back["version"], back["kind"], back["restores"]) == (2, "rollback", 0)

    listed = json.loads(orchestria("session", "list", "--json").out)
    assert {(r["id"], r["version"]) for r in listed} == {(sid, 2), (made["id"], 0)}


def test_plain_output_says_versions_messages_and_tables(orchestria, sid, tmp_path):
    assert orchestria("session", "command", sid, "add drums").out == "v1  added drums (genre groove, 28 notes)\n"
    dry = orchestria("session", "command", sid, "add a bass line", "--dry-run").out
    assert dry.startswith("v1  dry run: added bass") and "nothing stored" in dry and "bass: add bass" in dry
    assert orchestria("session", "command", sid, "set the tempo to 100").out.startswith("v2  tempo 90 → 100 bpm")

    shown = orchestria("session", "show", sid).out
    assert shown.startswith(f"{sid} v2: 100 bpm, Cm, lo-fi, 4/4, 2 bars, 44100 Hz, seed 7\n")
    assert "stems:" in shown and "drum_kit" in shown and "versions:" in shown and "set the tempo to 100" in shown
    old = orchestria("session", "show", sid, "--version", "0").out
    assert old.startswith(f"{sid} v0 (current: v2): 90 bpm") and "none yet" in old

    wav = tmp_path / "mix.wav"
    written = orchestria("session", "export", sid, str(wav), "--version", "1").out.splitlines()
    assert written == [str(wav), str(wav) + ".manifest.json"]
    assert soundfile.info(wav).frames == round(2 * 4 * 60 / 90 * 44100)  # version 1: still 90 bpm
    stems = orchestria("session", "export", sid, str(tmp_path / "stems"), "--stems", "--format", "midi").out
    assert [Path(p).name for p in stems.splitlines()] == ["drums.mid", "manifest.json"]

    assert orchestria("session", "rollback", sid, "1").out == "v3  restores v1: bpm 100 → 90\n"
    assert sid in orchestria("session", "list").out


def test_an_unknown_session_says_so_and_lists_those_there(orchestria, sid):
    for argv in (("show", "ses_0123456789abcdef"), ("command", "nope", "add drums"), ("rollback", "nope", "0")):
        ran = orchestria("session", *argv)
        assert ran.rc == 2 and ran.out == ""
        assert f"No session '{argv[1]}'" in ran.err and sid in ran.err and os.environ["ORCHESTRIA_DB"] in ran.err


def test_a_command_not_understood_exits_2_with_what_to_try_and_makes_no_version(orchestria, sid):
    ran = orchestria("session", "command", sid, "xyzzy plugh frobnicate")
    assert ran.rc == 2 and ran.out == ""
    assert ran.err.startswith("error: I did not understand 'xyzzy plugh frobnicate'") and "Try:" in ran.err
    as_json = orchestria("session", "command", sid, "xyzzy plugh frobnicate", "--json")
    error = json.loads(as_json.out)["error"]
    assert as_json.rc == 2 and error["code"] == "command_not_understood" and error["suggestions"]
    assert Session.open(sid, default_store()).version == 0


def test_bad_settings_and_versions_are_refused_with_what_is_valid(orchestria, sid):
    ran = orchestria("session", "create", "--bpm", "900", "--key", "Cm", "--genre", "lo-fi")
    assert ran.rc == 2 and "bpm=900 is not valid" in ran.err
    ran = orchestria("session", "show", sid, "--version", "5")
    assert ran.rc == 2 and "a whole number from 0 to 0" in ran.err
    ran = orchestria("session", "export", sid, "mix.ogg")
    assert ran.rc == 2 and "one of wav, flac, mp3, midi" in ran.err
    ran = orchestria("session", "export", sid, "mix.wav", "--loudness", "loud")
    assert ran.rc == 2 and "streaming (-16 LUFS)" in ran.err


def test_commands_other_than_create_do_not_make_a_missing_store(orchestria, isolated_store):
    db = Path(os.environ["ORCHESTRIA_DB"])
    for argv in (("list",), ("show", "ses_0123456789abcdef"), ("command", "ses_0123456789abcdef", "add drums")):
        ran = orchestria("session", *argv)
        assert ran.rc == 2 and f"There is no database at {db}" in ran.err and "ORCHESTRIA_DB" in ran.err
        assert "orchestria session create" in ran.err and "--server" in ran.err
    assert not db.exists()


def test_an_api_key_without_a_server_is_refused(orchestria):
    ran = orchestria("session", "list", "--api-key", "ork_x")
    assert ran.rc == 2 and "--server URL" in ran.err
