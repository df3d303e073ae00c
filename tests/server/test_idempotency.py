"""``Idempotency-Key`` (issue 18, item 2): a retried POST never makes a second version or export,
on one server process or across two; the same key with another body is a 422."""

from __future__ import annotations

import json
import threading
import time
import uuid

import httpx
import pytest

from orchestria_lab.server import idempotency
from tests.server.conftest import in_threads, sql
from tests.server.test_commands import _sse

pytestmark = pytest.mark.backends

NEW_SESSION = {"bpm": 90, "key": "Cm", "genre": "lo-fi", "seed": 7, "bars": 2}


def keyed(key: str | None = None) -> dict[str, str]:
    return {"Idempotency-Key": key or str(uuid.uuid4())}


@pytest.fixture
def sid(alice) -> str:
    return alice.post("/v1/sessions", json=NEW_SESSION).json()["id"]


def versions(client: httpx.Client, sid: str) -> list[int]:
    return [v["version"] for v in client.get(f"/v1/sessions/{sid}/versions").json()]


def test_a_retried_command_returns_the_first_answer_and_makes_no_second_version(alice, sid):
    headers = keyed()
    first = alice.post(f"/v1/sessions/{sid}/command", json={"text": "add drums"}, headers=headers)
    again = alice.post(f"/v1/sessions/{sid}/command", json={"text": "add drums"}, headers=headers)
    assert first.status_code == again.status_code == 200, again.text
    assert "idempotent-replayed" not in first.headers and again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content and again.json()["version"] == 1
    assert again.headers["x-request-id"] != first.headers["x-request-id"]  # each answer keeps its own id
    assert versions(alice, sid) == [0, 1]
    # a new key is a new request
    fresh = alice.post(f"/v1/sessions/{sid}/command", json={"text": "add a bass line"}, headers=keyed())
    assert fresh.json()["version"] == 2, fresh.text


def test_the_same_request_is_judged_by_its_content_not_its_spacing(alice, sid):
    headers = {**keyed(), "Content-Type": "application/json"}
    first = alice.post(f"/v1/sessions/{sid}/command", content=b'{"text": "add drums", "dry_run": false}',
                       headers=headers)
    again = alice.post(f"/v1/sessions/{sid}/command", content=b'{"dry_run":false,"text":"add drums"}',
                       headers=headers)
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()


def test_the_same_key_with_another_body_is_422_and_makes_nothing(alice, sid):
    headers = keyed()
    assert alice.post(f"/v1/sessions/{sid}/command", json={"text": "add drums"}, headers=headers).status_code == 200
    other = alice.post(f"/v1/sessions/{sid}/command", json={"text": "add a bass line"}, headers=headers)
    assert other.status_code == 422, other.text
    error = other.json()["error"]
    assert error["code"] == "idempotency_key_reused" and "new key" in error["message"] and error["request_id"]
    elsewhere = alice.post(f"/v1/sessions/{sid}/rollback", json={"version": 0}, headers=headers)
    assert elsewhere.status_code == 422  # another path is another request too
    assert versions(alice, sid) == [0, 1]


def test_keys_belong_to_their_account(server, sid, alice):
    headers = keyed()
    made = alice.post("/v1/sessions", json=NEW_SESSION, headers=headers).json()["id"]
    with server.client(server.key("bob")) as bob:
        theirs = bob.post("/v1/sessions", json=NEW_SESSION, headers=headers)
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != made


def test_only_successful_answers_are_kept(alice, sid):
    headers = keyed()
    refused = alice.post(f"/v1/sessions/{sid}/command", json={"text": "xyzzy plugh frobnicate"}, headers=headers)
    assert refused.status_code == 422
    again = alice.post(f"/v1/sessions/{sid}/command", json={"text": "xyzzy plugh frobnicate"}, headers=headers)
    assert again.status_code == 422 and "idempotent-replayed" not in again.headers  # it ran again


def test_a_bad_key_is_400_saying_what_a_key_may_be(alice, sid):
    response = alice.post(f"/v1/sessions/{sid}/command", json={"text": "add drums"},
                          headers={"Idempotency-Key": "x" * 300})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert "255 printable ASCII" in response.json()["error"]["message"]
    assert versions(alice, sid) == [0]


def test_without_a_key_or_with_a_bad_bearer_nothing_changes(server, alice, sid):
    assert alice.post(f"/v1/sessions/{sid}/command", json={"text": "add drums"}).json()["version"] == 1
    assert alice.post(f"/v1/sessions/{sid}/command", json={"text": "add a bass line"}).json()["version"] == 2
    with server.client("ok_live_not_a_key") as stranger:
        assert stranger.post("/v1/sessions", json=NEW_SESSION, headers=keyed()).status_code == 401


def test_a_streamed_command_is_replayed_as_its_event_stream(alice, sid):
    headers = {**keyed(), "Accept": "text/event-stream"}
    with alice.stream("POST", f"/v1/sessions/{sid}/command", json={"text": "add drums"}, headers=headers) as first:
        events = _sse(first)
    with alice.stream("POST", f"/v1/sessions/{sid}/command", json={"text": "add drums"}, headers=headers) as again:
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["content-type"].startswith("text/event-stream")
        replayed = _sse(again)
    assert replayed == events and events[-1][0] == "result"
    assert versions(alice, sid) == [0, 1]


def test_an_import_retried_with_a_new_multipart_boundary_is_replayed(alice, sid):
    from tests.server.test_import import midi_bytes

    headers = keyed()
    sent = []
    for _ in range(2):
        response = alice.post(f"/v1/sessions/{sid}/import", files={"file": ("riff.mid", midi_bytes(), "audio/midi")},
                              headers=headers)
        sent.append(response)
    assert sent[0].status_code == 200, sent[0].text
    assert sent[1].headers.get("idempotent-replayed") == "true" and sent[1].json() == sent[0].json()
    assert versions(alice, sid) == [0, 1]


def test_a_retried_export_counts_once_against_the_daily_quota(live_server_factory):
    server = live_server_factory(exports_per_day=2)
    with server.client(server.key("carol")) as carol:
        sid = carol.post("/v1/sessions", json=NEW_SESSION).json()["id"]
        carol.post(f"/v1/sessions/{sid}/command", json={"text": "add drums"})
        headers = keyed()
        made = [carol.post(f"/v1/sessions/{sid}/export", json={"format": "midi"}, headers=headers) for _ in range(3)]
        assert [m.status_code for m in made] == [201, 201, 201], made[-1].text
        assert len({m.json()["id"] for m in made}) == 1
        # one of the two exports of the day is left
        assert carol.post(f"/v1/sessions/{sid}/export", json={"format": "midi"}).status_code == 201
        assert carol.post(f"/v1/sessions/{sid}/export", json={"format": "midi"}).status_code == 429


def test_retries_on_another_server_process_are_replayed(server, spawn_servers):
    """The key lives in the shared database: a retry that reaches another process gets the first
    answer, for a new session, a command, an export and a rollback alike, and makes nothing."""
    (there,) = spawn_servers(1, store=server.store, ORCHESTRIA_REQUESTS_PER_MINUTE="100000",
                             ORCHESTRIA_MAX_OPEN_SESSIONS="1000")
    key = server.key("dora")
    with server.client(key) as here, httpx.Client(base_url=there, timeout=60,
                                                   headers={"Authorization": f"Bearer {key}"}) as far:
        create = keyed()
        made = here.post("/v1/sessions", json=NEW_SESSION, headers=create)
        retried = far.post("/v1/sessions", json=NEW_SESSION, headers=create)
        assert retried.headers.get("idempotent-replayed") == "true" and retried.json() == made.json()
        sid = made.json()["id"]
        assert len(far.get("/v1/sessions").json()) == 1
        for path, body in ((f"/v1/sessions/{sid}/command", {"text": "add drums"}),
                           (f"/v1/sessions/{sid}/export", {"format": "midi"}),
                           (f"/v1/sessions/{sid}/rollback", {"version": 0})):
            headers = keyed()
            first = far.post(path, json=body, headers=headers)
            assert first.is_success, first.text
            again = here.post(path, json=body, headers=headers)
            assert again.headers.get("idempotent-replayed") == "true" and again.content == first.content
        assert versions(here, sid) == [0, 1, 2]
        assert sql(server.store, "SELECT COUNT(*) FROM exports WHERE account = 'dora'") == [(1,)]
        assert sql(server.store, "SELECT SUM(count) FROM export_quota WHERE account = 'dora'") == [(1,)]


def send_together(urls: list[str], path: str, body: dict, headers: dict[str, str]) -> list[dict]:
    """POST the same request to each of ``urls`` at the same moment; each waits out a 409
    ``idempotency_in_progress`` and gives its final answer."""
    answers: list[dict] = [{} for _ in urls]
    start = threading.Barrier(len(urls))

    def send(n: int) -> None:
        with httpx.Client(base_url=urls[n], timeout=60, headers=headers) as client:
            start.wait()
            while True:
                response = client.post(path, json=body)
                if response.status_code == 409 and response.json()["error"]["code"] == "idempotency_in_progress":
                    time.sleep(0.05)
                    continue
                answers[n] = {"status": response.status_code, "body": response.json(),
                              "replayed": response.headers.get("idempotent-replayed") == "true"}
                return

    in_threads(send, len(urls))
    return answers


def test_simultaneous_retries_on_two_processes_make_one_version(server, spawn_servers):
    """Sent at the same moment to two processes, the same keyed command runs once: the other
    copy waits (409 idempotency_in_progress) and then gets the first answer."""
    (there,) = spawn_servers(1, store=server.store, ORCHESTRIA_REQUESTS_PER_MINUTE="100000",
                             ORCHESTRIA_MAX_OPEN_SESSIONS="1000")
    key = server.key("erin")
    with server.client(key) as here:
        sid = here.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    for round_ in range(3):
        answers = send_together([server.url, there], f"/v1/sessions/{sid}/command",
                                {"text": f"set the tempo to {100 + round_}"},
                                {"Authorization": f"Bearer {key}", **keyed()})
        assert [a["status"] for a in answers] == [200, 200], answers
        assert answers[0]["body"] == answers[1]["body"]
        assert sorted(a["replayed"] for a in answers) == [False, True]
        assert answers[0]["body"]["version"] == round_ + 1
    with server.client(key) as here:
        assert versions(here, sid) == [0, 1, 2, 3]


def test_a_claim_left_by_a_dead_process_is_taken_over(server, alice, sid):
    """A process that died while answering leaves its claim running; after STALE_CLAIM_S it is
    the retry's to run."""
    account = "alice"
    request = json.dumps({"text": "add drums"}).encode()
    print_ = idempotency.fingerprint("POST", f"/v1/sessions/{sid}/command", b"", request, "application/json")
    started = time.time() - idempotency.STALE_CLAIM_S - 5
    assert idempotency.claim(server.store, account, "dead-1", print_, now=started).kind == "new"
    response = alice.post(f"/v1/sessions/{sid}/command", content=request,
                          headers={"Idempotency-Key": "dead-1", "Content-Type": "application/json"})
    assert response.status_code == 200 and "idempotent-replayed" not in response.headers
    assert versions(alice, sid) == [0, 1]
