"""The preview's limits over loopback: requests a minute, open sessions, exports a day,
and the same counts when several server processes share one database."""

from __future__ import annotations

import httpx
import pytest

from orchestria_lab.session.session import Session

from .conftest import in_threads

pytestmark = pytest.mark.backends

NEW_SESSION = {"bpm": 90, "key": "Cm", "genre": "lo-fi"}


@pytest.fixture(scope="module")
def strict(live_server_factory):
    return live_server_factory(requests_per_minute=5)


@pytest.fixture(scope="module")
def three_slots(live_server_factory):
    return live_server_factory(max_open_sessions=3)


def test_requests_over_the_minute_limit_are_429_with_retry_after(strict):
    with strict.client(strict.key("rpm")) as client, strict.client(strict.key("rpm")) as other_key:
        remaining = []
        for _ in range(5):
            response = client.get("/v1/sessions")
            assert response.status_code == 200
            assert response.headers["X-RateLimit-Limit"] == "5"
            remaining.append(int(response.headers["X-RateLimit-Remaining"]))
        assert remaining == [4, 3, 2, 1, 0]
        refused = client.get("/v1/sessions")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        error = refused.json()["error"]
        assert error["code"] == "rate_limited" and error["limit"] == 5 and "Retry after" in error["message"]
        # the limit is per key: another key of the same account is unaffected
        assert other_key.get("/v1/sessions").status_code == 200


def test_error_answers_carry_the_rate_limit_headers_too(strict):
    with strict.client(strict.key("headers")) as client:
        response = client.get("/v1/sessions/ses_0000000000000000")
        assert response.status_code == 404
        assert response.headers["X-RateLimit-Remaining"] == "4"


def test_open_sessions_are_limited_per_account_and_delete_frees_a_slot(three_slots):
    with three_slots.client(three_slots.key("slots")) as client:
        ids = [client.post("/v1/sessions", json=NEW_SESSION).json()["id"] for _ in range(3)]
        refused = client.post("/v1/sessions", json=NEW_SESSION)
        assert refused.status_code == 429 and "Retry-After" in refused.headers
        assert "DELETE" in refused.json()["error"]["message"]
        assert client.delete(f"/v1/sessions/{ids[0]}").status_code == 204
        assert client.get(f"/v1/sessions/{ids[0]}").status_code == 404
        assert client.delete(f"/v1/sessions/{ids[0]}").status_code == 404
        assert client.post("/v1/sessions", json=NEW_SESSION).status_code == 201


def test_concurrent_creates_never_pass_the_open_session_limit(three_slots):
    server = three_slots
    key = server.key("racer")
    statuses: list[int] = []

    def create(_: int) -> None:
        with server.client(key) as client:
            statuses.append(client.post("/v1/sessions", json=NEW_SESSION).status_code)

    in_threads(create, 8)
    assert sorted(statuses) == [201] * 3 + [429] * 5
    assert len(server.store.list_sessions(owner="racer", open_only=True)) == 3


def test_limits_hold_across_server_processes_on_one_database(live_server_factory, spawn_servers):
    limits = {"ORCHESTRIA_REQUESTS_PER_MINUTE": "7", "ORCHESTRIA_MAX_OPEN_SESSIONS": "2"}
    here = live_server_factory(requests_per_minute=7, max_open_sessions=2)  # this process, warm
    (there,) = spawn_servers(1, store=here.store, **limits)  # `orchestria serve`, a second process
    headers = {"Authorization": f"Bearer {here.key('shared')}"}
    held = [Session.create(bpm=90, key="Cm", genre="lo-fi", store=here.store, owner="shared").id
            for _ in range(2)]

    def call(method: str, url: str, path: str, **kw) -> int:
        return httpx.request(method, url + path, headers=headers, timeout=60, **kw).status_code

    # both slots are taken, whichever process asks; a slot freed through one is free in the other
    assert [call("POST", url, "/v1/sessions", json=NEW_SESSION) for url in (there, here.url)] == [429, 429]
    assert call("DELETE", there, f"/v1/sessions/{held[0]}") == 204
    assert call("POST", here.url, "/v1/sessions", json=NEW_SESSION) == 201
    assert call("POST", there, "/v1/sessions", json=NEW_SESSION) == 429
    # 5 requests so far, of 7 a minute, counted across both processes
    assert [call("GET", url, "/v1/sessions") for url in (there, here.url, there)] == [200, 200, 429]


def test_a_500_answers_json_and_keeps_the_keep_alive_connection(tmp_path):
    import socket

    from orchestria_lab.server.app import create_app
    from orchestria_lab.server.settings import Settings
    from orchestria_lab.server.testing import serve_in_thread
    from orchestria_lab.session.store import SQLiteStore

    app = create_app(store=SQLiteStore(tmp_path / "s.db"), settings=Settings(data_dir=tmp_path / "data"))

    def broken() -> dict:
        raise RuntimeError("a bug")

    app.add_api_route("/v1/broken", broken)
    live = serve_in_thread(app)
    try:
        host, port = live.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            answers = []
            for path in ("/v1/broken", "/v1/agents"):  # two requests on one connection
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                data = b""
                while b"\r\n\r\n" not in data:
                    data += sock.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(body) < length:
                    body += sock.recv(65536)
                answers.append((head.split(b" ")[1], body[:length]))
        assert answers[0][0] == b"500" and b"internal_error" in answers[0][1]
        assert answers[1][0] in (b"200", b"401")  # the same connection answered again
    finally:
        live.stop()
