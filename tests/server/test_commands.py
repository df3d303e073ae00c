"""Commands over loopback: JSON results, refusals, server-sent events, concurrent writers."""

from __future__ import annotations

import json
import time

import pytest

from .conftest import in_threads

pytestmark = pytest.mark.backends

NEW_SESSION = {"bpm": 90, "key": "Cm", "genre": "lo-fi", "seed": 7}
UNDERSTOOD = "Add warm piano chords with reverb"
NOT_UNDERSTOOD = "xyzzy plugh frobnicate"


@pytest.fixture
def sid(alice) -> str:
    return alice.post("/v1/sessions", json=NEW_SESSION).json()["id"]


def _sse(response) -> list[tuple[str, str, dict]]:
    events, kind, ident, data = [], "message", None, []
    for line in response.iter_lines():
        if line == "":
            if data:
                events.append((kind, ident, json.loads("\n".join(data))))
            kind, ident, data = "message", None, []
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("id:"):
            ident = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
    return events


def test_a_command_answers_its_version_plan_and_diff(alice, sid):
    response = alice.post(f"/v1/sessions/{sid}/command", json={"text": UNDERSTOOD})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["version"] == 1 and result["message"]
    assert result["plan"] and {"agent", "intent", "target", "params"} <= set(result["plan"][0])
    assert result["diff"] and result["diff"][0]["what"] == "added"
    assert alice.get(f"/v1/sessions/{sid}").json()["version"] == 1


def test_a_dry_run_plans_and_changes_nothing(alice, sid):
    result = alice.post(f"/v1/sessions/{sid}/command", json={"text": UNDERSTOOD, "dry_run": True}).json()
    assert result["plan"]
    assert alice.get(f"/v1/sessions/{sid}").json()["version"] == 0


def test_a_command_not_understood_is_422_with_suggestions_and_no_version(alice, sid):
    response = alice.post(f"/v1/sessions/{sid}/command", json={"text": NOT_UNDERSTOOD})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "command_not_understood" and error["suggestions"]
    assert alice.get(f"/v1/sessions/{sid}").json()["version"] == 0


def test_events_stream_in_order_and_end_with_the_result(alice, sid):
    with alice.stream("POST", f"/v1/sessions/{sid}/command", json={"text": UNDERSTOOD},
                      headers={"Accept": "text/event-stream"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "X-RateLimit-Remaining" in response.headers
        events = _sse(response)
    kinds = [kind for kind, _, _ in events]
    assert kinds[0] == "plan" and kinds[-1] == "result"
    assert kinds.index("agent_started") < kinds.index("agent_finished") < kinds.index("version_created")
    assert [int(ident) for _, ident, _ in events] == list(range(len(events)))
    assert events[-1][2]["version"] == 1


def test_a_streamed_refusal_ends_with_an_error_event(alice, sid):
    with alice.stream("POST", f"/v1/sessions/{sid}/command", json={"text": NOT_UNDERSTOOD},
                      headers={"Accept": "text/event-stream"}) as response:
        events = _sse(response)
    assert [kind for kind, _, _ in events] == ["error"]
    error = events[0][2]["data"]
    assert error["status"] == 422 and error["code"] == "command_not_understood" and error["suggestions"]
    assert alice.get(f"/v1/sessions/{sid}").json()["version"] == 0


def test_concurrent_commands_on_one_session_land_whole_with_contiguous_versions(server):
    key = server.key("band")
    with server.client(key) as client:
        sid = client.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    answers: list[tuple[int, int | None]] = []

    busy: list[int] = []

    def play(n: int) -> None:
        with server.client(key) as client:
            for _ in range(2):
                text = UNDERSTOOD if n % 3 else NOT_UNDERSTOOD
                while True:  # one command at a time per session: the others wait their turn
                    response = client.post(f"/v1/sessions/{sid}/command", json={"text": text})
                    if response.status_code == 409 and response.json()["error"]["code"] == "session_busy":
                        assert response.headers["Retry-After"] == "1"
                        busy.append(n)
                        time.sleep(0.05)
                        continue
                    break
                answers.append((response.status_code, response.json().get("version")))

    in_threads(play, 6)
    with server.client(key) as client:
        versions = client.get(f"/v1/sessions/{sid}/versions").json()
        stems = client.get(f"/v1/sessions/{sid}/stems").json()
    applied = sorted(v for status, v in answers if status == 200)
    assert {status for status, _ in answers} <= {200, 409, 422}
    assert [v["version"] for v in versions] == list(range(len(versions)))
    assert applied == list(range(1, len(versions)))
    assert sum(status == 422 for status, _ in answers) == 4
    assert len(stems) >= 1 and all(v["command"] == UNDERSTOOD for v in versions[1:])
