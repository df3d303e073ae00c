"""Downloads over loopback: bearer and signed URLs, expiry and tampering, traversal, exports
and their daily quota."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import time
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import soundfile

from orchestria_lab.server.downloads import Signer
from orchestria_lab.server.keys import list_keys, revoke_key
from orchestria_lab.server.tables import ensure_tables
from orchestria_lab.session.store import SQLiteStore

from .conftest import add_stem

NEW_SESSION = {"bpm": 120, "key": "C", "genre": "house", "bars": 1, "sample_rate": 22050}


@pytest.fixture(scope="module")
def studio(live_server_factory):
    """A server with a low export quota, one account and one session with one stem."""
    server = live_server_factory(exports_per_day=3)
    key = server.key("studio")
    with server.client(key) as client:
        sid = client.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    add_stem(server.store, sid)
    return server, key, sid


@pytest.fixture
def client(studio):
    server, key, _ = studio
    with server.client(key) as c:
        yield c


def _stem(client, sid) -> dict:
    return client.get(f"/v1/sessions/{sid}/stems").json()[0]


def test_stem_audio_and_midi_download_with_the_bearer_key(studio, client):
    _, _, sid = studio
    stem = _stem(client, sid)
    audio = client.get(stem["url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    samples, rate = soundfile.read(io.BytesIO(audio.content), always_2d=True)
    assert rate == 22050 and samples.shape[1] == 2 and samples.shape[0] >= int(stem["duration_s"] * rate) * 0.9
    assert abs(samples).max() > 0
    part = client.get(stem["url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    midi = client.get(stem["midi_url"])
    assert midi.status_code == 200 and midi.content.startswith(b"MThd")


def test_a_signed_url_plays_without_a_key_until_tampered_or_expired(studio, client):
    server, _, sid = studio
    stem = _stem(client, sid)
    with httpx.Client(timeout=60) as browser:
        assert browser.get(stem["url"]).status_code == 401
        played = browser.get(stem["signed_url"])
        assert played.status_code == 200 and played.content == client.get(stem["url"]).content
        for tampered in (stem["signed_url"].replace("version=1", "version=0"),
                         stem["signed_url"].replace("/stems/chords/", "/stems/other/"),
                         stem["signed_url"][:-1] + ("0" if not stem["signed_url"].endswith("0") else "1"),
                         stem["signed_url"].replace("/audio?", "/midi?")):
            answer = browser.get(tampered)
            assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden", tampered
        signer = Signer.for_store(server.store, secret=None, ttl_s=60, key_file=server.settings.key_file)
        path = urlsplit(stem["url"]).path
        key_id = list_keys(server.store, account="studio")["key_id"].iloc[0]
        expired = browser.get(server.url + signer.sign(path, {"version": 1}, key_id, now=time.time() - 3600))
        assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]


def test_a_revoked_keys_signed_urls_stop_working(live_server_factory):
    server = live_server_factory()
    key = server.key("leaver")
    with server.client(key) as client:
        sid = client.post("/v1/sessions", json=NEW_SESSION).json()["id"]
        add_stem(server.store, sid)
        signed = _stem(client, sid)["midi_url"]
        signed_audio = _stem(client, sid)["signed_url"]
    revoke_key(server.store, list_keys(server.store, account="leaver")["key_id"].iloc[0])
    assert httpx.get(signed_audio).status_code == 401
    assert httpx.get(signed).status_code == 401


@pytest.mark.parametrize("path", [
    "/v1/exports/..%2F..%2F..%2Fetc/files/passwd",
    "/v1/exports/exp_0000000000000000/files/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/v1/exports/exp_0000000000000000/files/%2Fetc%2Fpasswd",
    "/v1/sessions/SID/stems/..%2F..%2F..%2Fetc%2Fpasswd/audio",
    "/v1/sessions/SID/stems/%2e%2e/midi",
    "/v1/sessions/..%2F..%2Forchestria.db/audio",
])
def test_traversal_attempts_find_nothing(studio, client, path):
    _, _, sid = studio
    response = client.get(path.replace("SID", sid))
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"


def test_exports_download_with_bearer_or_signature_and_count_against_the_quota(studio, client):
    server, _, sid = studio
    bad = client.post(f"/v1/sessions/{sid}/export", json={"format": "wav", "stems": ["nope"]})
    assert bad.status_code == 404 and "chords" in bad.json()["error"]["message"]
    empty = client.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    nothing = client.post(f"/v1/sessions/{empty}/export", json={"format": "wav", "stems": True})
    assert nothing.status_code == 422 and "stems: false" in nothing.json()["error"]["message"]
    made = []
    for body in ({"format": "wav"}, {"format": "midi", "stems": True}, {"format": "flac", "version": 1}):
        response = client.post(f"/v1/sessions/{sid}/export", json=body)
        assert response.status_code == 201, response.text
        made.append(response.json())
    export = made[0]
    assert export["format"] == "wav" and export["version"] == 1 and export["files"]
    for f in export["files"]:
        body = client.get(f["url"]).content
        assert len(body) == f["bytes"] and httpx.get(f["signed_url"]).content == body
    again = client.get(f"/v1/exports/{export['id']}").json()["files"]
    assert [(f["name"], f["bytes"], f["url"]) for f in again] == [(f["name"], f["bytes"], f["url"]) for f in export["files"]]
    stems = made[1]["files"]
    assert [f["name"].rsplit("/", 1)[-1] for f in stems] == ["chords.mid", "manifest.json"]
    refused = client.post(f"/v1/sessions/{sid}/export", json={"format": "wav"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 86400
    assert "00:00 UTC" in refused.json()["error"]["message"]
    with server.client(server.key("outsider")) as outsider:
        assert outsider.get(export["files"][0]["url"]).status_code == 404
        assert outsider.get(f"/v1/exports/{export['id']}").status_code == 404


def test_a_url_claiming_a_longer_life_than_the_ttl_is_refused():
    from orchestria_lab.server.errors import Forbidden

    long_lived = Signer(b"k" * 32, ttl_s=10**9)  # one who read the secret, minting a URL for years
    url = urlsplit(long_lived.sign("/v1/sessions/ses_0123456789abcdef/audio", {}, "key_abc", now=1000))
    params = dict(parse_qsl(url.query))
    server = Signer(b"k" * 32, ttl_s=3600)
    with pytest.raises(Forbidden, match="3600 s lifetime"):
        server.verify(url.path, params, now=1000)
    fresh = urlsplit(server.sign("/v1/sessions/ses_0123456789abcdef/audio", {}, "key_abc", now=1000))
    assert server.verify(fresh.path, dict(parse_qsl(fresh.query)), now=1000) == "key_abc"


def test_a_deleted_sessions_exports_are_gone(live_server_factory):
    server = live_server_factory()
    key = server.key("leaver")
    with server.client(key) as client:
        sid = client.post("/v1/sessions", json=NEW_SESSION).json()["id"]
        add_stem(server.store, sid)
        export = client.post(f"/v1/sessions/{sid}/export", json={"format": "midi"}).json()
        url, signed = export["files"][0]["url"], export["files"][0]["signed_url"]
        assert client.get(url).status_code == 200 and httpx.get(signed).status_code == 200
        assert client.delete(f"/v1/sessions/{sid}").status_code == 204
        assert client.get(url).status_code == 404
        assert client.get(f"/v1/exports/{export['id']}").status_code == 404
    assert httpx.get(signed).status_code == 404


def test_the_signing_secret_lives_in_a_0600_key_file_not_the_database(live_server_factory):
    server = live_server_factory()
    key_file = server.settings.key_file
    assert key_file.is_file() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert server.store.connection().execute("SELECT COUNT(*) FROM server_secrets").fetchone()[0] == 0
    assert server.settings.data_dir in key_file.parents or server.settings.secret_file == key_file


def test_an_old_database_secret_moves_to_the_key_file_and_its_urls_keep_working(tmp_path):
    store = SQLiteStore(tmp_path / "old.db")
    ensure_tables(store)
    with store.transaction() as db:  # how an older version kept it
        db.execute("INSERT INTO server_secrets (name, value) VALUES ('url_signing', ?)", ("s" * 64,))
    old = Signer(b"s" * 64, ttl_s=60)
    url = old.sign("/v1/sessions/ses_0123456789abcdef/audio", {"version": "1"}, "key_a", now=time.time())
    moved = Signer.for_store(store, secret=None, ttl_s=60, key_file=tmp_path / "keys" / "url_signing.key")
    parts = urlsplit(url)
    assert moved.verify(parts.path, dict(parse_qsl(parts.query))) == "key_a"
    assert (tmp_path / "keys" / "url_signing.key").read_text().strip() == "s" * 64
    assert store.connection().execute("SELECT COUNT(*) FROM server_secrets").fetchone()[0] == 0
    again = Signer.for_store(store, secret=None, ttl_s=60, key_file=tmp_path / "keys" / "url_signing.key")
    assert again.verify(parts.path, dict(parse_qsl(parts.query))) == "key_a"  # the next start reads the file


def test_orchestria_keys_init_makes_the_file_once(tmp_path):
    env = {**os.environ, "ORCHESTRIA_SECRET_FILE": str(tmp_path / "k" / "secret.key")}
    first = subprocess.run([sys.executable, "-c", "from orchestria_lab.cli import main; raise SystemExit(main())", "keys", "init"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert first.returncode == 0 and "mode 0600" in first.stdout, first.stderr
    made = tmp_path / "k" / "secret.key"
    assert stat.S_IMODE(made.stat().st_mode) == 0o600 and len(made.read_text().strip()) == 64
    second = subprocess.run([sys.executable, "-c", "from orchestria_lab.cli import main; raise SystemExit(main())", "keys", "init"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert second.returncode != 0 and "already holds" in (second.stdout + second.stderr)
    assert len(made.read_text().strip()) == 64  # never replaced
