"""``orchestria session ... --server URL --api-key KEY`` against a real server on loopback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import soundfile

from orchestria_lab.session.session import Session
from tests.server.conftest import free_port

NEW = ("--bpm", "90", "--key", "Cm", "--genre", "lo-fi", "--bars", "2", "--seed", "7")


@pytest.fixture
def remote(server) -> tuple[str, ...]:
    return ("--server", server.url, "--api-key", server.key("shell"))


def test_the_session_verbs_work_on_a_server_as_on_the_local_store(orchestria, server, remote, tmp_path):
    sid = orchestria("session", "create", *NEW, *remote).out.strip()
    assert Session.open(sid, server.store).meta["bars"] == 2  # made on the server, not locally
    assert not Path(os.environ["ORCHESTRIA_DB"]).exists()

    done = json.loads(orchestria("session", "command", sid, "add drums", "--json", *remote).out)
    assert done["version"] == 1 and done["plan"][0]["agent"] == "drums" and done["diff"][0]["what"] == "added"
    assert orchestria("session", "command", sid, "set the tempo to 100", *remote).out.startswith("v2  tempo 90 → 100")

    shown = json.loads(orchestria("session", "show", sid, "--json", *remote).out)
    local = Session.open(sid, server.store)
    assert (shown["version"], shown["meta"]) == (2, local.meta)
    assert [s["stem_id"] for s in shown["stems"]] == list(local.stems["stem_id"])
    assert [v["command"] for v in shown["versions"]] == list(local.versions["command"])
    old = orchestria("session", "show", sid, "--version", "0", "--json", *remote)
    assert json.loads(old.out)["stems"] == [] and json.loads(old.out)["meta"]["bpm"] == 90  # v0's own settings

    wav = tmp_path / "mix.wav"
    written = orchestria("session", "export", sid, str(wav), *remote).out.splitlines()
    assert written == [str(wav), str(wav) + ".manifest.json"]
    assert soundfile.info(wav).frames == round(2 * 4 * 60 / 100 * 44100)

    back = json.loads(orchestria("session", "rollback", sid, "1", "--json", *remote).out)
    assert (back["version"], back["restores"]) == (3, 1) and Session.open(sid, server.store).version == 3
    listed = json.loads(orchestria("session", "list", "--json", *remote).out)
    assert [(r["id"], r["version"]) for r in listed] == [(sid, 3)]  # this key's account only


def test_the_server_and_key_can_come_from_the_environment(orchestria, server, monkeypatch):
    monkeypatch.setenv("ORCHESTRIA_SERVER", server.url)
    monkeypatch.setenv("ORCHESTRIA_API_KEY", server.key("from-env"))
    sid = orchestria("session", "create", *NEW).out.strip()
    assert Session.open(sid, server.store).version == 0


def test_an_unknown_session_on_a_server_says_so_and_where(orchestria, server, remote):
    ran = orchestria("session", "show", "ses_0123456789abcdef", *remote)
    assert ran.rc == 2 and "No session 'ses_0123456789abcdef'" in ran.err and server.url in ran.err


def test_a_server_that_cannot_be_reached_names_the_url_and_what_to_check(orchestria):
    url = f"http://127.0.0.1:{free_port()}"
    ran = orchestria("session", "list", "--server", url, "--api-key", "ork_x", "--json")
    assert ran.rc == 2
    error = json.loads(ran.out)["error"]
    assert (error["code"], error["url"], error["cause"]) == ("server_unreachable", url, "ConnectError")
    assert ran.err == f"error: {error['message']}\n"
    assert f"at {url}" in ran.err and "orchestria serve" in ran.err and "ORCHESTRIA_SERVER" in ran.err


def test_a_missing_or_wrong_key_is_refused_with_how_to_get_one(orchestria, server):
    ran = orchestria("session", "list", "--server", server.url)
    assert ran.rc == 2 and "ORCHESTRIA_API_KEY" in ran.err and "orchestria keys create" in ran.err
    ran = orchestria("session", "list", "--server", server.url, "--api-key", "ork_0123456789ab_" + "x" * 43)
    assert ran.rc == 2 and "This API key is not valid" in ran.err
