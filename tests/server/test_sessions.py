"""Sessions over loopback: the preview's example, the JSON shapes, errors, concurrency."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from .conftest import add_stem, in_threads

pytestmark = pytest.mark.backends

NEW_SESSION = {"bpm": 90, "key": "Cm", "genre": "lo-fi"}
SESSION_FIELDS = {"id", "bpm", "key", "genre", "time_signature", "bars", "sample_rate", "version",
                  "created_at", "stems", "versions", "agents"}
STEM_FIELDS = {"id", "name", "role", "instrument", "agent", "effects", "gain_db", "pan", "muted", "solo",
               "notes", "hash", "notes_hash", "format", "duration_s", "sample_rate", "url", "midi_url"}


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_previews_curl_example_works_verbatim(server):
    key = server.key("curl")
    create = subprocess.run(
        ["curl", "-s", "-X", "POST", f"{server.url}/v1/sessions", "-H", f"Authorization: Bearer {key}",
         "-H", "Content-Type: application/json", "-d", '{"bpm": 90, "key": "Cm", "genre": "lo-fi"}'],
        capture_output=True, check=True, text=True, timeout=30)
    session = json.loads(create.stdout)
    assert SESSION_FIELDS <= set(session) and (session["bpm"], session["key"], session["genre"]) == (90, "Cm", "lo-fi")
    command = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
         f"{server.url}/v1/sessions/{session['id']}/command", "-H", f"Authorization: Bearer {key}",
         "-H", "Content-Type: application/json", "-d", '{"text": "Add warm piano chords with reverb"}'],
        capture_output=True, check=True, text=True, timeout=120)
    assert command.stdout == "200"


def test_create_returns_201_with_the_session(alice):
    response = alice.post("/v1/sessions", json={**NEW_SESSION, "bars": 4, "seed": 7, "time_signature": "3/4"})
    assert response.status_code == 201
    session = response.json()
    assert SESSION_FIELDS <= set(session)
    assert (session["version"], session["stems"], session["bars"], session["time_signature"]) == (0, [], 4, "3/4")
    assert [v["version"] for v in session["versions"]] == [0]
    assert all({"name", "state"} <= set(a) for a in session["agents"])


def test_stems_versions_notes_and_diff_mirror_the_session(server, alice):
    sid = alice.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    add_stem(server.store, sid, "chords")
    add_stem(server.store, sid, "keys", pitch=64)
    stems = alice.get(f"/v1/sessions/{sid}/stems").json()
    assert [s["id"] for s in stems] == ["chords", "keys"]
    assert STEM_FIELDS <= set(stems[0]) and stems[0]["notes"] == 2 and stems[0]["format"] == "wav"
    assert stems[0]["url"].startswith(server.url) and "version=2" in stems[0]["url"]
    assert [s["id"] for s in alice.get(f"/v1/sessions/{sid}/stems", params={"version": 1}).json()] == ["chords"]
    versions = alice.get(f"/v1/sessions/{sid}/versions", params={"diff": "true"}).json()
    assert [v["version"] for v in versions] == [0, 1, 2]
    assert versions[2]["summary"].startswith("added keys") and versions[2]["diff"][0]["what"] == "added"
    notes = alice.get(f"/v1/sessions/{sid}/notes").json()
    assert {n["stem_id"] for n in notes} == {"chords", "keys"} and len(notes) == 4
    diff = alice.get(f"/v1/sessions/{sid}/diff", params={"a": 0}).json()
    assert sorted(r["stem_id"] for r in diff) == ["chords", "keys"]


def test_rollback_appends_a_version_that_restores_the_old_one(server, alice):
    sid = alice.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    add_stem(server.store, sid)
    response = alice.post(f"/v1/sessions/{sid}/rollback", json={"version": 0})
    assert response.status_code == 200
    assert (response.json()["version"], response.json()["parent"]) == (2, 0)
    assert alice.get(f"/v1/sessions/{sid}/stems").json() == []
    bad = alice.post(f"/v1/sessions/{sid}/rollback", json={"version": 9})
    assert bad.status_code == 422 and "from 0 to 2" in bad.json()["error"]["message"]


@pytest.mark.parametrize("body, field", [
    ({"bpm": 500, "key": "Cm", "genre": "lo-fi"}, "bpm"),
    ({"bpm": 90, "key": "H#", "genre": "lo-fi"}, "key"),
    ({"bpm": 90, "genre": "lo-fi"}, "key"),
    ({"bpm": 90, "key": "Cm", "genre": "lo-fi", "tempo": 3}, "tempo"),
])
def test_invalid_settings_are_422_and_say_what_is_valid(alice, body, field):
    response = alice.post("/v1/sessions", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] in ("invalid_request", "invalid_value") and field in error["message"]


def test_bools_and_numbers_do_not_stand_in_for_each_other(server, alice):
    sid = alice.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    add_stem(server.store, sid)
    for path, body, field in [("/rollback", {"version": False}, "version"),
                              ("/command", {"text": "mute the chords", "dry_run": 0}, "dry_run"),
                              ("/export", {"format": "midi", "version": True}, "version")]:
        response = alice.post(f"/v1/sessions/{sid}{path}", json=body)
        assert response.status_code == 422 and field in response.json()["error"]["message"], body
    created = alice.post("/v1/sessions", json={**NEW_SESSION, "seed": False})
    assert created.status_code == 422 and "seed" in created.json()["error"]["message"]
    assert [v["version"] for v in alice.get(f"/v1/sessions/{sid}/versions").json()] == [0, 1]


def test_work_over_a_bound_is_413_naming_the_limit_and_makes_nothing(alice):
    huge = alice.post("/v1/sessions", json={"bpm": 20, "key": "Cm", "genre": "lo-fi",
                                            "time_signature": "32/1", "bars": 256, "sample_rate": 96000})
    error = huge.json()["error"]
    assert huge.status_code == 413 and error["code"] == "limit_exceeded"
    assert error["setting"] == "ORCHESTRIA_MAX_DURATION_S" and error["value"] == 98304
    sid = alice.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    many = alice.post(f"/v1/sessions/{sid}/command", json={"text": " and ".join(["add piano"] * 40)})
    assert many.status_code == 413 and many.json()["error"]["setting"] == "ORCHESTRIA_MAX_ACTIONS"
    assert [v["version"] for v in alice.get(f"/v1/sessions/{sid}/versions").json()] == [0]


def test_bodies_over_the_limit_are_413_and_long_commands_422(server, alice):
    sid = alice.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    big = {"text": "add chords " * 10_000}
    response = alice.post(f"/v1/sessions/{sid}/command", json=big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    assert "X-RateLimit-Limit" in response.headers

    def chunks():  # no Content-Length: the limit must hold while the body streams in
        yield b'{"text": "'
        for _ in range(100):
            yield b"a" * 1000
        yield b'"}'

    streamed = alice.post(f"/v1/sessions/{sid}/command", content=chunks(),
                          headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "payload_too_large"
    long = alice.post(f"/v1/sessions/{sid}/command", json={"text": "a" * 2001})
    assert long.status_code == 422 and "2000" in long.json()["error"]["message"]
    assert alice.get(f"/v1/sessions/{sid}").json()["version"] == 0


def test_unknown_routes_and_methods_answer_in_the_error_shape(alice):
    assert alice.get("/v2/nothing").json()["error"]["code"] == "not_found"
    response = alice.put("/v1/sessions")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"
    garbled = alice.post("/v1/sessions", content=b"{not json", headers={"Content-Type": "application/json"})
    assert garbled.status_code == 422 and garbled.json()["error"]["code"] == "invalid_request"


def test_cors_is_off_unless_configured(server, live_server_factory):
    preflight = {"Origin": "https://studio.example", "Access-Control-Request-Method": "POST"}
    with server.client() as anonymous:
        assert "access-control-allow-origin" not in anonymous.options("/v1/sessions", headers=preflight).headers
    allowed = live_server_factory(cors_origins=("https://studio.example",))
    with allowed.client() as anonymous:
        answer = anonymous.options("/v1/sessions", headers=preflight)
        assert answer.headers["access-control-allow-origin"] == "https://studio.example"


def test_concurrent_writers_on_one_session_make_contiguous_versions(server):
    key = server.key("writers")
    with server.client(key) as client:
        sid = client.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    add_stem(server.store, sid)
    answers: list[tuple[int, int | None]] = []

    def write(n: int) -> None:
        with server.client(key) as client:
            for i in range(3):
                response = client.post(f"/v1/sessions/{sid}/rollback", json={"version": (n + i) % 2})
                answers.append((response.status_code, response.json().get("version")))

    in_threads(write, 6)
    with server.client(key) as client:
        versions = [v["version"] for v in client.get(f"/v1/sessions/{sid}/versions").json()]
    assert versions == list(range(len(versions)))
    assert {status for status, _ in answers} <= {200, 409}
    assert sorted(v for status, v in answers if status == 200) == versions[2:]


def test_versions_and_sessions_come_in_cursor_pages_with_the_total(server):
    from orchestria_lab.client import Client

    key = server.key("pager")
    with server.client(key) as client:
        sids = [client.post("/v1/sessions", json={"bpm": 90, "key": "Cm", "genre": "lo-fi"}).json()["id"]
                for _ in range(3)]
        for pitch in range(60, 65):
            add_stem(server.store, sids[0], f"s{pitch}", pitch=pitch)
        first = client.get(f"/v1/sessions/{sids[0]}/versions", params={"limit": 2, "diff": True})
        assert [v["version"] for v in first.json()] == [0, 1] and first.headers["X-Total-Count"] == "6"
        seen, page = [], first
        while True:
            seen += [v["version"] for v in page.json()]
            if "next" not in page.links:
                break
            page = client.get(page.links["next"]["url"])
        assert seen == [0, 1, 2, 3, 4, 5]
        tail = client.get(f"/v1/sessions/{sids[0]}/versions", params={"after": 4})
        assert [v["version"] for v in tail.json()] == [5] and "Link" not in tail.headers
        listed = client.get("/v1/sessions", params={"limit": 2})
        assert [s["id"] for s in listed.json()] == sids[:2] and listed.headers["X-Total-Count"] == "3"
        rest = client.get(listed.links["next"]["url"]).json()
        assert [s["id"] for s in rest] == sids[2:]
        assert client.get("/v1/sessions", params={"limit": 0}).status_code == 422
    remote = Client(server.url, key)  # the SDK follows the pages
    assert len(remote.sessions()) == 3 and len(remote.open(sids[0]).versions) == 6


def test_a_session_answers_its_sections(server):
    with server.client(server.key("form")) as client:
        sid = client.post("/v1/sessions", json={"bpm": 90, "key": "Cm", "genre": "lo-fi", "bars": 16}).json()["id"]
        assert client.get(f"/v1/sessions/{sid}").json()["sections"] == []
        made = client.post(f"/v1/sessions/{sid}/command", json={"text": "make bars 9 to 16 the chorus"})
        assert made.status_code == 200, made.text
        assert client.get(f"/v1/sessions/{sid}").json()["sections"] == [{"name": "chorus", "start_bar": 9, "bars": 8}]


def test_form_chords_tempo_and_automation_over_rest(server):
    """The song-form commands through the REST shim: the session JSON carries what they made."""
    with server.client(server.key("form2")) as client:
        sid = client.post("/v1/sessions", json={"bpm": 90, "key": "Cm", "genre": "lo-fi", "bars": 8}).json()["id"]
        for text in ["add warm piano chords", "add an 808 bass line", "play Am F C G", "arrange it as verse, chorus",
                     "slow down to 70 bpm for the last 4 bars", "fade out the last 4 bars"]:
            made = client.post(f"/v1/sessions/{sid}/command", json={"text": text})
            assert made.status_code == 200, (text, made.text)
        body = client.get(f"/v1/sessions/{sid}").json()
        assert [s["name"] for s in body["sections"]] == ["verse", "chorus"]
        assert body["tempo_changes"] == [{"bar": 13, "bpm": 70}] and body["key_changes"] == []
        assert {p["stem_id"] for p in body["automation"]} == {"chords", "bass"}
        assert {s["id"]: s["stale"] for s in body["stems"]} == {"chords": False, "bass": True}
        bad = client.post(f"/v1/sessions/{sid}/command", json={"text": "play Am Fzz"})
        assert bad.status_code in (400, 422) and "Fzz" in bad.text
