"""A command whose version is committed never reports a rate-limit error afterwards (issue 17,
item 3): its retries (same ``Idempotency-Key``) get its answer, whether the first answer was
read whole or the client hung up on a stream while the command ran."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from orchestria_lab.server.tables import ensure_tables
from orchestria_lab.session.session import Session
from tests.server.test_commands import _sse

COMMAND = {"text": "add a boom bap drum beat"}
STREAM = {"Accept": "text/event-stream"}


@pytest.fixture
def one_a_minute(live_server_factory):
    """A server that lets each key make one request a minute: any retry counted again is a 429."""
    return live_server_factory(requests_per_minute=1)


def _session(server, account: str) -> str:
    """A session made beside the API, so that it costs no request."""
    return Session.create(bpm=90, key="Cm", genre="lo-fi", bars=2, seed=3, store=server.store, owner=account).id


def _versions(server, sid: str) -> list[int]:
    return [r.version for r in server.store.records(sid)]


def test_a_retry_of_a_committed_command_is_its_answer_not_a_429(one_a_minute):
    server = one_a_minute
    sid = _session(server, "once")
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    with server.client(server.key("once")) as client:
        first = client.post(f"/v1/sessions/{sid}/command", json=COMMAND, headers=headers)
        assert first.status_code == 200, first.text
        for _ in range(3):  # the answer went missing, say: every resend is the same answer
            again = client.post(f"/v1/sessions/{sid}/command", json=COMMAND, headers=headers)
            assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true", again.text
            assert again.json()["version"] == first.json()["version"] == 1
        assert client.get("/v1/sessions").status_code == 429  # the one request a minute was spent
    assert _versions(server, sid) == [0, 1]


def test_a_stream_the_client_hung_up_on_lands_and_its_retry_gets_the_whole_answer(one_a_minute, monkeypatch):
    server = one_a_minute
    sid = _session(server, "hangup")
    gate, held = threading.Event(), threading.Event()
    commit = Session.commit

    def gated_commit(self, *args, **kw):  # this session's command waits, mid-run, until the client has gone
        if self.id == sid:
            held.set()
            assert gate.wait(30)
        return commit(self, *args, **kw)

    monkeypatch.setattr(Session, "commit", gated_commit)
    headers = {**STREAM, "Idempotency-Key": str(uuid.uuid4())}
    with server.client(server.key("hangup")) as client:
        with client.stream("POST", f"/v1/sessions/{sid}/command", json=COMMAND, headers=headers) as first:
            assert first.status_code == 200
            lines = first.iter_lines()
            assert next(lines).startswith("event: plan")
            assert held.wait(30)
        # the client hung up before the version was made
        time.sleep(0.3)
        running = client.post(f"/v1/sessions/{sid}/command", json=COMMAND, headers=headers)
        assert running.status_code == 409, running.text  # the first is still running: wait for it
        assert running.json()["error"]["code"] == "idempotency_in_progress"
        gate.set()
        deadline = time.monotonic() + 60
        while True:
            with client.stream("POST", f"/v1/sessions/{sid}/command", json=COMMAND, headers=headers) as again:
                if again.status_code != 409:
                    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
                    events = _sse(again)
                    break
            assert time.monotonic() < deadline, "the first command never finished"
            time.sleep(0.1)
    assert [kind for kind, _, _ in events][0] == "plan" and events[-1][0] == "result"
    assert events[-1][2]["version"] == 1
    assert _versions(server, sid) == [0, 1]
    # and its command slot was held until it landed, then given back
    assert not [c for c in ensure_tables(server.store).running_commands() if c.session_id == sid]
