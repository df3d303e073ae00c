"""The README's "Make a song from the shell" script, run as written, in a fresh store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import mido
import soundfile

from orchestria_lab.session.session import Session
from orchestria_lab.session.store import SQLiteStore

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_script() -> str:
    """The ``sh`` block between ``<!-- shell-song -->`` and ``<!-- /shell-song -->``."""
    found = re.search(r"<!-- shell-song -->\s*```sh\n(.*?)```\s*<!-- /shell-song -->", README.read_text(), re.S)
    assert found, "README.md has no sh block between <!-- shell-song --> and <!-- /shell-song -->"
    return found.group(1)


def test_the_readme_script_makes_edits_exports_and_rolls_back_a_song(isolated_store):
    script = isolated_store / "make-song.sh"
    script.write_text(readme_script())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    ran = subprocess.run(["sh", str(script), "out"], cwd=isolated_store, env=env, capture_output=True,
                         text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    out = isolated_store / "out"

    (session_id,) = SQLiteStore(os.environ["ORCHESTRIA_DB"]).list_sessions()
    session = Session.open(session_id, SQLiteStore(os.environ["ORCHESTRIA_DB"]))
    assert [(r.kind, r.command, r.restores) for r in session.records] == [
        ("create", "create session", None), ("edit", "add drums", None), ("edit", "add a bass line", None),
        ("edit", "set the tempo to 100", None), ("rollback", "rollback to version 2", 2)]
    assert session.bpm == 90 and session.state_at(3).meta.bpm == 100
    assert set(session.stems["role"]) == {"drums", "bass"}

    # the mix of version 3: four bars of 4/4 at 100 bpm, stereo, and not silence
    info = soundfile.info(out / "mix.wav")
    assert (info.format, info.samplerate, info.channels) == ("WAV", 44100, 2)
    assert info.frames == round(4 * 4 * 60 / 100 * 44100)
    audio, _ = soundfile.read(out / "mix.wav", dtype="float32")
    assert 0.01 < abs(audio).max() <= 1.0
    assert (out / "mix.wav.manifest.json").exists()
    midi = mido.MidiFile(out / "mix.mid")
    assert [m.tempo for t in midi.tracks for m in t if m.type == "set_tempo"] == [600_000]  # 100 bpm
    assert sum(m.type == "note_on" and m.velocity > 0 for t in midi.tracks for m in t) > 0

    shown = json.loads((out / "session.json").read_text())
    assert shown["id"] == session_id and shown["version"] == 4 and shown["meta"]["bpm"] == 90
    assert [v["version"] for v in shown["versions"]] == [0, 1, 2, 3, 4]
    assert session_id in ran.stdout and "v3  tempo 90" in ran.stdout  # show's summary, command's answer
