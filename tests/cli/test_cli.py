"""The ``orchestria`` command itself: ``--version``, the parser's refusals, and ``keys`` on a
database that is not there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orchestria_lab


def test_version_prints_the_package_version(orchestria):
    ran = orchestria("--version")
    assert (ran.rc, ran.out) == (0, f"orchestria-lab {orchestria_lab.__version__}\n")


def test_the_installed_entry_point_answers_version():
    ran = subprocess.run([sys.executable, "-m", "orchestria_lab.cli", "--version"], capture_output=True, text=True,
                         timeout=60)
    assert (ran.returncode, ran.stdout.strip()) == (0, f"orchestria-lab {orchestria_lab.__version__}")


def test_an_action_not_understood_exits_non_zero_with_the_parsers_explanation(orchestria):
    ran = orchestria("session", "remix", "ses_0123456789abcdef")
    assert ran.rc == 2 and "invalid choice: 'remix'" in ran.err and "'create'" in ran.err
    ran = orchestria("session", "create", "--bpm", "90")
    assert ran.rc == 2 and "the following arguments are required: --key, --genre" in ran.err
    ran = orchestria("session", "export", "ses_0123456789abcdef", "x", "--format", "ogg")
    assert ran.rc == 2 and "invalid choice: 'ogg'" in ran.err


def test_keys_list_and_revoke_on_a_missing_database_say_so_and_make_nothing(orchestria, tmp_path, monkeypatch):
    db = tmp_path / "elsewhere" / "server.db"
    monkeypatch.setenv("ORCHESTRIA_DB", str(db))
    for argv in (("keys", "list"), ("keys", "revoke", "key_0123456789ab")):
        ran = orchestria(*argv)
        assert ran.rc == 2 and ran.out == ""
        assert f"There is no database at {db} (from ORCHESTRIA_DB)" in ran.err
        assert "orchestria keys create --account NAME" in ran.err
    assert not db.exists() and not db.parent.exists()


def test_keys_list_names_the_default_path_when_orchestria_db_is_unset(orchestria, tmp_path, monkeypatch):
    monkeypatch.delenv("ORCHESTRIA_DB")
    monkeypatch.chdir(tmp_path)
    ran = orchestria("keys", "list")
    default = tmp_path.resolve() / "orchestria.db"
    assert ran.rc == 2 and f"{default} (the default: ORCHESTRIA_DB is not set)" in ran.err
    assert not (tmp_path / "orchestria.db").exists()


def test_keys_create_still_makes_the_database_and_then_list_reads_it(orchestria):
    ran = orchestria("keys", "create", "--account", "studio-a")
    assert ran.rc == 0 and Path(os.environ["ORCHESTRIA_DB"]).exists()
    key_id = ran.out.split()[1]
    listed = orchestria("keys", "list")
    assert listed.rc == 0 and key_id in listed.out and "studio-a" in listed.out
    assert orchestria("keys", "revoke", key_id).rc == 0
