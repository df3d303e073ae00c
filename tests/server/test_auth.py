"""Keys over loopback: missing, malformed, wrong, revoked; accounts never see each other."""

from __future__ import annotations

import httpx
import pytest

from orchestria_lab.cli import main as orchestria
from orchestria_lab.server.keys import KEY_RE, list_keys, revoke_key
from orchestria_lab.server.tables import ensure_tables
from orchestria_lab.session.store import SQLiteStore

from .conftest import add_stem

pytestmark = pytest.mark.backends

NEW_SESSION = {"bpm": 90, "key": "Cm", "genre": "lo-fi"}


def _error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code and body["message"]
    return body


@pytest.mark.parametrize("header", [
    None, "Bearer", "Bearer nonsense", "Basic YWxpY2U6c2VjcmV0",
    "Bearer ork_000000000000_" + "A" * 43,
])
def test_requests_without_a_valid_key_are_401(server, header):
    headers = {"Authorization": header} if header else {}
    response = httpx.post(server.url + "/v1/sessions", json=NEW_SESSION, headers=headers)
    body = _error(response, 401, "unauthorized")
    assert "Bearer" in body["message"] or "key" in body["message"]
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["X-RateLimit-Limit"] == str(server.settings.requests_per_minute)


@pytest.mark.parametrize("body", [b"{bad json", b'{"bpm": "fast"}', b"[]"])
@pytest.mark.parametrize("header", [None, "Bearer nonsense"])
def test_a_bad_body_without_a_valid_key_is_401_not_422(server, body, header):
    headers = {"Content-Type": "application/json", **({"Authorization": header} if header else {})}
    _error(httpx.post(server.url + "/v1/sessions", content=body, headers=headers), 401, "unauthorized")
    keyed = {**headers, "Authorization": f"Bearer {server.key('bodycheck')}"}
    _error(httpx.post(server.url + "/v1/sessions", content=body, headers=keyed), 422, "invalid_request")


def test_a_right_looking_key_with_a_wrong_secret_is_401(server):
    real = server.key("mallory")
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    response = httpx.get(server.url + "/v1/sessions", headers={"Authorization": f"Bearer {forged}"})
    _error(response, 401, "unauthorized")


def test_a_revoked_key_is_401_from_then_on(server):
    key = server.key("carol")
    with server.client(key) as carol:
        assert carol.get("/v1/sessions").status_code == 200
        key_id = list_keys(server.store, account="carol")["key_id"].iloc[-1]
        revoke_key(server.store, key_id)
        body = _error(carol.get("/v1/sessions"), 401, "unauthorized")
        assert "revoked" in body["message"]


def test_keys_are_stored_hashed(server):
    key = server.key("dave")
    hashes = [row.hash for row in ensure_tables(server.store).keys()]
    assert hashes and all(key not in h and len(h) == 64 for h in hashes)


def test_another_accounts_session_answers_404_like_a_missing_one(server):
    with server.client(server.key("alice")) as alice, server.client(server.key("bob")) as bob:
        sid = alice.post("/v1/sessions", json=NEW_SESSION).json()["id"]
        add_stem(server.store, sid)
        missing = "ses_" + "0" * 16
        for method, tail, body in [("GET", "", None), ("GET", "/stems", None), ("GET", "/versions", None),
                                   ("GET", "/notes", None), ("POST", "/command", {"text": "add bass"}),
                                   ("POST", "/rollback", {"version": 0}), ("POST", "/export", {"format": "wav"}),
                                   ("GET", "/stems/chords/audio", None), ("GET", "/audio", None),
                                   ("DELETE", "", None)]:
            theirs = bob.request(method, f"/v1/sessions/{sid}{tail}", json=body)
            nobody = bob.request(method, f"/v1/sessions/{missing}{tail}", json=body)
            assert theirs.status_code == nobody.status_code == 404, (method, tail, theirs.text)
            assert theirs.json()["error"]["message"].replace(sid, "ID") == \
                nobody.json()["error"]["message"].replace(missing, "ID")
        assert sid not in [s["id"] for s in bob.get("/v1/sessions").json()]
        assert alice.get(f"/v1/sessions/{sid}").status_code == 200


@pytest.mark.parametrize("session_id", ["ses_xyz", "..", "ses_0123456789ABCDEF", "x" * 300, "%2e%2e%2fetc"])
def test_malformed_session_ids_are_404(alice, session_id):
    _error(alice.get(f"/v1/sessions/{session_id}"), 404, "not_found")


def test_keys_cli_creates_lists_and_revokes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ORCHESTRIA_DB", str(tmp_path / "cli.db"))
    assert orchestria(["keys", "create", "--account", "studio-a"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert KEY_RE.match(key)
    assert orchestria(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    key_id = "key_" + KEY_RE.match(key).group(1)
    assert key_id in listing and "studio-a" in listing and key not in listing
    assert orchestria(["keys", "revoke", key_id]) == 0
    store = SQLiteStore(tmp_path / "cli.db")
    assert list_keys(store)["revoked_at"].notna().all()
    assert orchestria(["keys", "revoke", "key_000000000000"]) == 2
    assert "Available: " + key_id in capsys.readouterr().err
    assert orchestria(["keys", "create", "--account", "Bad Name!"]) == 2


def test_keys_cli_works_on_the_configured_postgresql(postgres_url, monkeypatch, capsys):
    from orchestria_lab.session.store import open_store

    monkeypatch.setenv("ORCHESTRIA_DATABASE_URL", postgres_url)
    assert orchestria(["keys", "create", "--account", "team-b"]) == 0
    key_id = "key_" + KEY_RE.match(capsys.readouterr().out.strip().splitlines()[-1]).group(1)
    assert orchestria(["keys", "list", "--account", "team-b"]) == 0
    assert key_id in capsys.readouterr().out
    assert orchestria(["keys", "revoke", key_id]) == 0
    with open_store(postgres_url) as store:
        assert list_keys(store)["revoked_at"].notna().all()
