"""The client at parity with Session: ``.at(v)``, ``.plot``, the song's tables, streamed events,
reads after a command served from its answer, errors that say what to check when no server
answers, and an ``Idempotency-Key`` on every POST, kept on its resends."""

from __future__ import annotations

import uuid

import httpx
import numpy as np
import pandas as pd
import pytest

from orchestria_lab.client import (
    Client,
    ReadOnlyVersion,
    RemoteEvent,
    RemoteSession,
    RemoteVersionView,
    ServerUnreachable,
)
from orchestria_lab.client_http import CONFLICT_RETRIES, IDEMPOTENCY_HEADER, TRANSPORT_RETRIES
from orchestria_lab.errors import CommandNotUnderstood, InvalidValue, OrchestriaError
from orchestria_lab.session.session import Session
from orchestria_lab.state import Edit, Note, Stem

from .conftest import add_stem, free_port

UNDERSTOOD = "Add warm piano chords with reverb"
SMALL = {"bpm": 90, "key": "Cm", "genre": "lo-fi", "bars": 8, "sample_rate": 22050, "seed": 7}
FORM = {"bpm": 100, "sections": [{"name": "intro", "start_bar": 1, "bars": 4}, {"name": "drop", "start_bar": 5, "bars": 4}],
        "key_changes": [{"bar": 5, "key": "Em"}], "tempo_changes": [{"bar": 5, "bpm": 110}]}


class CountingTransport(httpx.HTTPTransport):
    """A real transport that keeps the method and path of every request sent through it."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        return super().handle_request(request)


@pytest.fixture
def counted(server):
    transport = CountingTransport()
    with Client(server.url, server.key("parity"), transport=transport) as client:
        yield client, transport


def _with_history(server, client: Client):
    """A remote session of four versions: a pad with a fade (1), a song form with tempo and key
    changes (2), chords (3); and the same session opened locally."""
    session = client.create(**SMALL)
    local = Session.open(session.id, server.store)
    pad = Stem("pad", role="pad", instrument="pad", notes=[Note(60, 0.0, 4.0, 80), Note(63, 4.0, 4.0, 80)],
               automation=[("gain_db", 0, -60), ("gain_db", 16, 0)])
    local.commit(Edit(add=[pad]), command="add a pad", agents=("harmony",))
    local.commit(Edit(meta=FORM), command="a form", agents=("arrange",))
    add_stem(server.store, session.id, "chords")
    return session.refresh(), local.refresh()


def test_at_a_version_has_that_versions_tables_as_the_local_view_does(server, counted):
    client, _ = counted
    session, local = _with_history(server, client)
    assert session.version == local.version == 3
    for version in range(4):
        view, there = session.at(version), local.at(version)
        assert isinstance(view, RemoteVersionView) and (view.id, view.version) == (session.id, version)
        assert view.record == there.record and view.meta == there.meta, version
        for table in ("stems", "notes", "automation", "sections"):
            pd.testing.assert_frame_equal(getattr(view, table), getattr(there, table), obj=f"v{version} {table}")
    assert session.at(2).sections["key"].tolist() == ["Cm", "Em"] and session.at(1).sections.empty
    assert session.at(1).automation["value"].tolist() == [-60.0, 0.0]
    np.testing.assert_allclose(session.at(1).render(), local.render(version=1), atol=1e-4)


def test_a_version_view_reads_and_refuses_every_write(server, counted, tmp_path):
    client, transport = counted
    session, _ = _with_history(server, client)
    view = session.at(1)
    for write in (lambda: view.command(UNDERSTOOD), lambda: view.rollback(0), lambda: view.stream(UNDERSTOOD),
                  lambda: view.import_midi(b"MThd")):
        with pytest.raises(ReadOnlyVersion, match=r"session.rollback\(1\)") as refused:
            write()
        assert isinstance(refused.value, OrchestriaError)
    written = view.export(tmp_path / "v1.mid")
    assert written[0].read_bytes().startswith(b"MThd") and session.last_export[0]["path"] == str(written[0])
    with pytest.raises(InvalidValue, match="from 0 to 3"):
        session.at(9)
    transport.sent.clear()
    assert session.at(session.version).stems.equals(session.stems) and session.at(1).meta == view.meta
    assert transport.sent == [], "the current version and one seen before are not asked for again"


def test_plot_draws_the_local_pictures_from_the_remote_tables(server, counted):
    client, _ = counted
    session, local = _with_history(server, client)

    def drawn(fig):
        return [(ax.get_title(), ax.get_ylabel(), len(ax.patches), len(ax.lines)) for ax in fig.axes]

    assert drawn(session.plot.piano_roll()) == drawn(local.plot.piano_roll())
    assert drawn(session.plot.timeline()) == drawn(local.plot.timeline())
    assert drawn(session.at(1).plot.timeline()) == drawn(local.at(1).plot.timeline())
    assert drawn(session.plot.versions()) == drawn(local.plot.versions())
    assert drawn(session.at(2).plot.versions()) == drawn(local.at(2).plot.versions())
    assert session.plot.waveform()._repr_png_().startswith(b"\x89PNG")


def test_sections_and_automation_have_the_local_columns_and_dtypes(server, counted):
    client, _ = counted
    session, local = _with_history(server, client)
    pd.testing.assert_frame_equal(session.sections, local.sections)
    pd.testing.assert_frame_equal(session.automation, local.automation)
    empty = client.create(**SMALL)
    there = Session.open(empty.id, server.store)
    pd.testing.assert_frame_equal(empty.sections, there.sections)
    pd.testing.assert_frame_equal(empty.automation, there.automation)


def test_stream_yields_the_events_then_the_result_as_on_event_gets_them(counted):
    client, _ = counted
    streamed, called = client.create(**SMALL), client.create(**SMALL)
    with streamed.stream(UNDERSTOOD) as events:
        seen = list(events)
    assert all(isinstance(e, RemoteEvent) for e in seen) and seen[0].type == "plan"
    assert [e.data["version"] for e in seen if e.type == "version_created"] == [1]
    assert events.result is not None and events.result.version == streamed.version == 1
    got: list[RemoteEvent] = []
    result = called.command(UNDERSTOOD, on_event=got.append)
    assert [e.type for e in got] == [e.type for e in seen] and result.message == events.result.message
    with pytest.raises(CommandNotUnderstood), streamed.stream("xyzzy plugh frobnicate") as refused:
        list(refused)
    assert streamed.refresh().version == 1


def test_after_a_command_its_answer_serves_the_reads_until_the_version_moves(server, counted):
    client, transport = counted
    session = client.create(**SMALL)
    transport.sent.clear()
    result = session.command(UNDERSTOOD)
    assert transport.sent == [("POST", f"/v1/sessions/{session.id}/command")]
    stems, versions, diff = session.stems, session.versions, session.diff(0, 1)
    _ = session.meta, session.sections, session.automation, session.records, session.agent_states, session.bpm
    assert transport.sent == [("POST", f"/v1/sessions/{session.id}/command")], "every read from the answer"
    pd.testing.assert_frame_equal(diff, result.diff)
    local = Session.open(session.id, server.store)
    pd.testing.assert_frame_equal(stems, local.stems)
    pd.testing.assert_frame_equal(versions, local.versions)
    pd.testing.assert_frame_equal(diff, local.diff(0, 1))
    assert session.agent_states and set(session.agent_states.values()) == {"idle"}

    transport.sent.clear()
    pd.testing.assert_frame_equal(session.notes, local.notes)
    pd.testing.assert_frame_equal(session.notes, local.notes)
    assert transport.sent == [("GET", f"/v1/sessions/{session.id}/notes")], "notes: once per version"

    transport.sent.clear()
    session.rollback(0)  # a write whose answer is a record: the next read asks for the session, once
    assert session.stems.empty and session.versions["version"].tolist() == [0, 1, 2]
    assert transport.sent == [("POST", f"/v1/sessions/{session.id}/rollback"), ("GET", f"/v1/sessions/{session.id}")]

    add_stem(server.store, session.id, "keys")  # another writer: seen after a refresh, as locally
    assert session.stems.empty and session.refresh().version == 3 and session.stems["stem_id"].tolist() == ["keys"]


def test_a_dry_run_answers_the_session_as_it_is(counted):
    client, transport = counted
    session = client.create(**SMALL)
    session.command(UNDERSTOOD)
    transport.sent.clear()
    plan = session.command(UNDERSTOOD, dry_run=True)
    assert plan.dry_run and plan.plan and session.version == 1 and len(session.stems) == 1
    assert len(transport.sent) == 1


def test_no_server_at_the_url_raises_a_toolkit_error_saying_what_to_check():
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url, "ork_key", timeout=5) as client:
        for call in (client.agents, lambda: client.create(**SMALL)):
            with pytest.raises(ServerUnreachable) as unreachable:
                call()
            err = unreachable.value
            assert isinstance(err, OrchestriaError) and isinstance(err.__cause__, httpx.ConnectError)
            assert url in err.message and "orchestria serve" in err.message and "port" in err.message
            assert "ORCHESTRIA_SERVER" in err.message and err.details["url"] == url


def test_a_server_that_does_not_answer_in_time_is_named_and_asked_twice():
    calls = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("no answer", request=request)

    with Client("http://test", "k", transport=httpx.MockTransport(handle)) as client:
        with pytest.raises(ServerUnreachable, match=r"http://test did not answer in time .*timeout=") as late:
            client.json("POST", "/v1/sessions/x/command", json={"text": "add drums"})
    assert len(calls) == TRANSPORT_RETRIES + 1 and "refresh the session" in late.value.message
    assert len({c.headers[IDEMPOTENCY_HEADER] for c in calls}) == 1


def _answers(*answers):
    """A transport giving ``answers`` in turn (a status and error code, an exception, or 200); keeps the requests."""
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = answers[min(len(sent), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if answer == 200:
            return httpx.Response(200, json={"version": 1})
        status, code = answer
        return httpx.Response(status, headers={"Retry-After": "0"}, json={"error": {"code": code, "message": code}})

    return httpx.MockTransport(handle), sent


def test_every_post_carries_one_idempotency_key_kept_on_all_its_resends():
    transport, sent = _answers(httpx.ReadTimeout("lost"), (409, "session_busy"), (409, "version_conflict"),
                               (409, "idempotency_in_progress"), 200)
    with Client("http://test", "k", transport=transport) as client:
        assert client.json("POST", "/v1/sessions/x/command", json={"text": "add drums"}) == {"version": 1}
        keys = [r.headers[IDEMPOTENCY_HEADER] for r in sent]
        assert len(sent) == 5 and len(set(keys)) == 1 and uuid.UUID(keys[0]).version == 4
        client.json("POST", "/v1/sessions/x/command", json={"text": "add drums"})
        assert sent[-1].headers[IDEMPOTENCY_HEADER] != keys[0], "a new call, a new key"
        client.json("GET", "/v1/sessions/x")
        assert IDEMPOTENCY_HEADER not in sent[-1].headers, "only POSTs"


def test_the_key_stays_the_same_on_conflict_retries_and_a_streamed_command_sends_one():
    transport, sent = _answers(*[(409, "version_conflict")] * (CONFLICT_RETRIES + 1))
    with Client("http://test", "k", transport=transport) as client:
        with pytest.raises(OrchestriaError):
            client.json("POST", "/v1/sessions/x/rollback", json={"version": 1})
        assert len(sent) == CONFLICT_RETRIES + 1 and len({r.headers[IDEMPOTENCY_HEADER] for r in sent}) == 1
    transport, sent = _answers((422, "command_not_understood"))
    with Client("http://test", "k", transport=transport) as client:
        remote = RemoteSession(client, {"id": "ses_0123456789abcdef", "version": 0})
        with pytest.raises(CommandNotUnderstood), remote.stream("xyzzy") as events:
            list(events)
    assert sent[0].headers["Accept"] == "text/event-stream" and IDEMPOTENCY_HEADER in sent[0].headers


class LosesFirstCommandAnswer(httpx.HTTPTransport):
    """Sends every request to the server; the answer to the first command is lost on its way back."""

    def __init__(self) -> None:
        super().__init__()
        self.lost: list[str] = []
        self.replayed: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path.endswith("/command"):
            if not self.lost:
                response.read()
                response.close()
                self.lost.append(request.headers[IDEMPOTENCY_HEADER])
                raise httpx.ReadTimeout("the answer was lost", request=request)
            self.replayed.append(response.headers.get("Idempotent-Replayed"))
        return response


def test_a_command_whose_answer_was_lost_is_resent_and_runs_once(server):
    transport = LosesFirstCommandAnswer()
    with Client(server.url, server.key("lossy"), transport=transport) as client:
        session = client.create(**SMALL)
        result = session.command(UNDERSTOOD)
    assert transport.lost and transport.replayed == ["true"], "the resend got the first answer again"
    assert result.version == session.version == 1 and len(session.stems) == 1
    assert Session.open(session.id, server.store).version == 1, "one version, not two"


def test_export_keeps_each_files_name_signed_url_and_local_copy(server, counted, tmp_path):
    client, _ = counted
    session, _ = _with_history(server, client)
    written = session.export(tmp_path / "song.wav")
    assert [f["path"] for f in session.last_export] == [str(p) for p in written]
    assert [f["name"] for f in session.last_export] == [p.name for p in written] == ["song.wav", "song.wav.manifest.json"]
    for f in session.last_export:
        assert f["url"].startswith(server.url + "/") and "sig=" in f["url"]
        assert httpx.get(f["url"], timeout=30).content == open(f["path"], "rb").read(), "no key needed"
    session.export(tmp_path / "stems", stems=True, version=1)
    assert [f["name"] for f in session.last_export] == ["pad.wav", "manifest.json"]
