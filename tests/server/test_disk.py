"""Disk over loopback: the render cache stays under its cap, exports expire and go with their
session, and ``orchestria gc`` prunes by hand."""

from __future__ import annotations

import httpx

from orchestria_lab.cli import main as orchestria
from orchestria_lab.server.disk import RENDERS

from .conftest import add_stem

NEW_SESSION = {"bpm": 90, "key": "Cm", "genre": "lo-fi", "bars": 2}


def _session(client: httpx.Client, server, stems: int = 1) -> str:
    sid = client.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    for i in range(stems):
        add_stem(server.store, sid, f"chords-{i}", pitch=60 + i)
    return sid


def _bytes(folder) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) if folder.is_dir() else 0


def test_the_render_cache_never_passes_its_cap_and_keeps_what_was_used_last(live_server_factory):
    server = live_server_factory(render_cache_mb=1)
    cache = server.settings.data_dir / RENDERS
    with server.client(server.key("cache")) as client:
        sid = _session(client, server, stems=4)
        for version in range(1, 5):  # a 2-bar stereo WAV is about 0.9 MB: the cap holds one
            for fmt in ("wav", "flac"):
                answer = client.get(f"/v1/sessions/{sid}/audio", params={"version": version, "format": fmt})
                assert answer.status_code == 200 and answer.content
                assert _bytes(cache) <= 1024 * 1024 or len(list(cache.iterdir())) == 1
        last = client.get(f"/v1/sessions/{sid}/audio", params={"version": 4, "format": "flac"})
        assert last.status_code == 200  # still there, or made again: never an error


def test_exports_say_when_they_expire_and_expired_ones_are_gone(live_server_factory):
    server = live_server_factory(export_ttl_days=2)
    with server.client(server.key("exporter")) as client:
        sid = _session(client, server)
        export = client.post(f"/v1/sessions/{sid}/export", json={"format": "wav"}).json()
        assert export["expires_at"] > export["created_at"] and export["expires_at"][:4] == export["created_at"][:4]
        folder = server.settings.data_dir / "exports" / export["id"]
        assert folder.is_dir()
        with server.store.transaction() as db:  # two days on
            db.execute("UPDATE exports SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", (export["id"],))
        assert client.get(f"/v1/exports/{export['id']}").status_code == 404
        assert client.get(export["files"][0]["url"]).status_code == 404
        client.post(f"/v1/sessions/{sid}/export", json={"format": "wav"})  # the next export sweeps it away
        assert not folder.exists()


def test_closing_a_session_removes_its_export_files(live_server_factory):
    server = live_server_factory()
    with server.client(server.key("closer")) as client:
        sid = _session(client, server)
        export = client.post(f"/v1/sessions/{sid}/export", json={"format": "wav"}).json()
        folder = server.settings.data_dir / "exports" / export["id"]
        assert folder.is_dir()
        assert client.delete(f"/v1/sessions/{sid}").status_code == 204
        assert not folder.exists()
        assert httpx.get(export["files"][0]["signed_url"]).status_code == 404


def test_orchestria_gc_trims_the_cache_and_drops_expired_exports(live_server_factory, monkeypatch, capsys):
    server = live_server_factory()
    cache = server.settings.data_dir / RENDERS
    with server.client(server.key("gc")) as client:
        sid = _session(client, server, stems=2)
        for version in (1, 2):
            client.get(f"/v1/sessions/{sid}/audio", params={"version": version})
        export = client.post(f"/v1/sessions/{sid}/export", json={"format": "wav"}).json()
    with server.store.transaction() as db:
        db.execute("UPDATE exports SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", (export["id"],))
    assert len(list(cache.iterdir())) == 2
    monkeypatch.setenv("ORCHESTRIA_DB", str(server.store.path))
    monkeypatch.setenv("ORCHESTRIA_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("ORCHESTRIA_RENDER_CACHE_MB", "1")
    assert orchestria(["gc"]) == 0
    said = capsys.readouterr().out
    assert "1 export(s)" in said and "cached render(s)" in said
    assert _bytes(cache) <= 1024 * 1024
    assert not (server.settings.data_dir / "exports" / export["id"]).exists()


def test_a_render_the_cache_drops_while_it_is_sent_is_still_sent_whole(tmp_path, store):
    """Another request's trim can drop the file this request is about to send (found by the disk fuzz run,
    benchmarks/bench_disk.py): what is sent is a link to it, which outlives the cache's copy."""
    from orchestria_lab.server.disk import SERVING, unpin
    from orchestria_lab.server.downloads import rendered_file
    from orchestria_lab.session import Session

    from .conftest import add_stem as add

    s = Session.create(bpm=120, key="C", genre="pop", bars=1, sample_rate=8000, store=store)
    add(store, s.id, "keys", pitch=60)
    s = Session.open(s.id, store=store)
    renders = tmp_path / "data" / RENDERS
    first = rendered_file(s, version=s.version, fmt="wav", cache_dir=renders, cache_mb=0)
    sent = first.read_bytes()
    second = rendered_file(s, version=s.version, fmt="flac", cache_dir=renders, cache_mb=0)  # trims the wav
    assert not list(renders.glob("*.wav")) and first.read_bytes() == sent and sent[:4] == b"RIFF"
    unpin(first), unpin(second)
    assert not list((tmp_path / "data" / SERVING).iterdir())  # sent, and let go
