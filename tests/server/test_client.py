"""The Python client against a live server: the same tables as a local Session, typed errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestria_lab.client import Client, RemoteEvent, RemoteSession
from orchestria_lab.errors import CommandNotUnderstood, InvalidValue, NotFound
from orchestria_lab.server.errors import RateLimited, Unauthorized
from orchestria_lab.session.session import Session
from orchestria_lab.session.store import VersionRecord

from .conftest import add_stem

UNDERSTOOD = "Add warm piano chords with reverb"


@pytest.fixture
def remote(server):
    with Client(server.url, server.key("notebook")) as client:
        yield client


def test_a_remote_session_has_the_tables_of_the_local_one(server, remote):
    session = remote.create(bpm=90, key="c minor", genre="lofi", seed=7, bars=4)
    assert isinstance(session, RemoteSession) and (session.key, session.genre, session.bpm) == ("Cm", "lo-fi", 90)
    add_stem(server.store, session.id, "chords")
    result = session.command(UNDERSTOOD)
    assert result.version == session.version == 2 and isinstance(result.diff, pd.DataFrame)
    add_stem(server.store, session.id, "keys", pitch=67)
    local = Session.open(session.id, server.store)
    session.refresh()
    assert session.version == local.version == 3 and session.meta == local.meta
    pd.testing.assert_frame_equal(session.stems, local.stems)
    pd.testing.assert_frame_equal(session.notes, local.notes)
    pd.testing.assert_frame_equal(session.versions, local.versions)
    pd.testing.assert_frame_equal(session.diff(1, 3), local.diff(1, 3))
    pd.testing.assert_frame_equal(session.diff(0), local.diff(0))
    record = session.rollback(1)
    assert isinstance(record, VersionRecord) and record == Session.open(session.id, server.store).records[-1]
    assert session.records == Session.open(session.id, server.store).records


def test_events_reach_on_event_and_dry_runs_change_nothing(remote):
    session = remote.create(bpm=90, key="Cm", genre="lo-fi")
    events: list[RemoteEvent] = []
    result = session.command(UNDERSTOOD, on_event=events.append)
    assert result.version == 1 and events[0].type == "plan"
    assert "version_created" in [e.type for e in events]
    started = [e for e in events if e.type == "agent_started"]
    assert started and all("agent" in e.data for e in started)  # the event's own data, as locally
    assert [e.data["version"] for e in events if e.type == "version_created"] == [1]
    plan = session.command(UNDERSTOOD, dry_run=True)
    assert plan.plan and session.refresh().version == 1


def test_errors_are_the_toolkits_typed_exceptions(server, remote):
    with pytest.raises(NotFound):
        remote.open("ses_0000000000000000")
    with pytest.raises(InvalidValue, match="key"):
        remote.create(bpm=90, key="H#", genre="lo-fi")
    session = remote.create(bpm=90, key="Cm", genre="lo-fi")
    with pytest.raises(CommandNotUnderstood) as refused:
        session.command("xyzzy plugh frobnicate")
    assert refused.value.suggestions and refused.value.status == 422
    with pytest.raises(CommandNotUnderstood):
        session.command("xyzzy plugh frobnicate", on_event=lambda e: None)
    with pytest.raises(Unauthorized), Client(server.url, "ork_nope") as stranger:
        stranger.sessions()


def test_rate_limits_raise_with_retry_after(live_server_factory):
    server = live_server_factory(requests_per_minute=2)
    with Client(server.url, server.key("busy")) as client:
        client.sessions()
        client.sessions()
        with pytest.raises(RateLimited) as limited:
            client.sessions()
    assert 1 <= limited.value.retry_after <= 60


def test_render_and_export_download_the_servers_audio(server, remote, tmp_path):
    session = remote.create(bpm=120, key="C", genre="house", bars=1, sample_rate=22050)
    add_stem(server.store, session.id, "chords")
    session.refresh()
    mix = session.render()
    assert mix.dtype == np.float32 and mix.shape[0] == 2 and abs(mix).max() > 0
    stem = session.render_stem("chords")
    assert stem.shape == mix.shape
    written = session.export(tmp_path / "mix.wav")
    assert tmp_path / "mix.wav" in written and (tmp_path / "mix.wav").stat().st_size > 1000
    midi = session.export(tmp_path / "song.mid")
    assert (tmp_path / "song.mid").read_bytes().startswith(b"MThd") and midi


def test_the_agents_table_is_the_local_one(remote):
    import orchestria_lab

    pd.testing.assert_frame_equal(remote.agents(), orchestria_lab.list_agents())


def _conflicts_then_ok(conflicts: int, *, retryable: bool = True):
    """A transport that answers ``conflicts`` version conflicts, then 200; counts the calls."""
    import httpx

    calls = []

    def handle(request):
        calls.append(request)
        if len(calls) <= conflicts:
            return httpx.Response(409, json={"error": {"code": "version_conflict", "message": "moved",
                                                       "retryable": retryable}})
        return httpx.Response(200, json={"ok": True})
    return httpx.MockTransport(handle), calls


def test_a_version_conflict_is_retried_because_nothing_was_written():
    transport, calls = _conflicts_then_ok(2)
    with Client("http://test", "k", transport=transport) as client:
        assert client.json("POST", "/v1/sessions/x/rollback", json={"version": 1}) == {"ok": True}
    assert len(calls) == 3


def test_a_conflict_marked_not_retryable_or_lasting_is_raised():
    from orchestria_lab.client import CONFLICT_RETRIES
    from orchestria_lab.errors import VersionConflict

    transport, calls = _conflicts_then_ok(1, retryable=False)
    with Client("http://test", "k", transport=transport) as client, pytest.raises(VersionConflict):
        client.json("POST", "/v1/sessions/x/command", json={"text": "undo"})
    assert len(calls) == 1
    transport, calls = _conflicts_then_ok(99)
    with Client("http://test", "k", transport=transport) as client, pytest.raises(VersionConflict):
        client.json("POST", "/v1/sessions/x/rollback", json={"version": 1})
    assert len(calls) == CONFLICT_RETRIES + 1
