"""The Export tab's download links: data links for small local files, Jupyter's ``files/`` URL for
large ones under its root, where the file is otherwise, and a remote session's signed URLs."""

from __future__ import annotations

import base64
import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from orchestria_lab import Session
from orchestria_lab.widgets import Studio, downloads
from orchestria_lab.widgets.downloads import JupyterServer

CHORDS = "Add warm piano chords with reverb"


@pytest.fixture
def small(store):
    """A short session (4 bars, 22.05 kHz) so that rendering stays quick."""
    return Session.create(bpm=90, key="Cm", genre="lo-fi", bars=4, sample_rate=22050, seed=7, store=store)


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append({k: v or "" for k, v in attrs})


def anchors(markup: str) -> list[dict[str, str]]:
    """The ``<a>`` tags of ``markup``, attributes unescaped as a browser reads them."""
    parser = _Anchors()
    parser.feed(markup)
    return parser.anchors


def data_bytes(href: str) -> bytes:
    head, _, payload = href.partition(",")
    assert head.startswith("data:") and head.endswith(";base64"), head
    return base64.b64decode(payload)


def exported(studio: Studio, button: str, tmp_path: Path) -> tuple[list[Path], list[dict[str, str]]]:
    """Click an export button: the files written (from the folder itself) and the log's links."""
    studio.out_dir.value = str(tmp_path / "exports")
    studio.export_buttons[button].click()
    assert studio.last_error is None, studio.last_error
    return sorted((tmp_path / "exports").rglob("*.*")), anchors(studio.export_log.value)


def test_a_small_local_export_links_each_file_as_data_holding_its_bytes(small, tmp_path):
    small.command(CHORDS)
    studio = Studio(small)
    written, links = exported(studio, "wav", tmp_path)
    assert [a["download"] for a in links] == [p.name for p in written]  # the mix, then its manifest
    for link, path in zip(links, written, strict=True):
        assert data_bytes(link["href"]) == path.read_bytes()
    assert links[0]["href"].startswith("data:audio/wav;base64,") and data_bytes(links[0]["href"])[:4] == b"RIFF"


def test_stems_get_a_link_each(small, tmp_path):
    small.command(CHORDS)
    small.command("add a boom bap drum beat")
    written, links = exported(Studio(small), "stems", tmp_path)
    assert sorted(a["download"] for a in links) == sorted(p.name for p in written)
    assert len(links) == 3  # two stems and the manifest


def test_a_large_file_under_the_jupyter_root_links_to_the_servers_files_url(small, tmp_path, monkeypatch):
    small.command(CHORDS)
    studio = Studio(small)
    studio.data_link_max_bytes = 0
    monkeypatch.setattr(downloads, "jupyter_server", lambda: JupyterServer(tmp_path, "/user/me/"))
    written, links = exported(studio, "midi", tmp_path)
    assert sorted((a["download"], a["href"]) for a in links) == [
        (p.name, f"/user/me/files/exports/{p.name}") for p in written]
    assert "served by Jupyter" in studio.export_log.value


def test_a_large_file_outside_the_root_says_where_it_is_instead_of_a_dead_link(small, tmp_path, monkeypatch):
    small.command(CHORDS)
    studio = Studio(small)
    studio.data_link_max_bytes = 0
    monkeypatch.setattr(downloads, "jupyter_server", lambda: JupyterServer(tmp_path / "elsewhere"))
    written, links = exported(studio, "midi", tmp_path)
    assert links == []
    assert "outside the Jupyter server" in studio.export_log.value
    assert all(str(p.resolve()) in studio.export_log.value for p in written)
    monkeypatch.setattr(downloads, "jupyter_server", lambda: None)
    studio.export_buttons["midi"].click()
    assert anchors(studio.export_log.value) == [] and "no Jupyter server" in studio.export_log.value


def test_the_kernels_jupyter_server_is_read_from_its_parents_runtime_file(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    assert downloads.jupyter_server() is None
    info = {"root_dir": str(tmp_path / "lab"), "base_url": "/hub/user/me/", "pid": os.getppid()}
    (tmp_path / f"jpserver-{os.getppid()}.json").write_text(json.dumps(info))
    assert downloads.jupyter_server() == JupyterServer(tmp_path / "lab", "/hub/user/me/")


def test_names_are_escaped_in_the_html(tmp_path):
    path = tmp_path / 'a "quoted" <b>&.wav'
    path.write_bytes(b"RIFF....WAVE")
    markup = downloads.local_link(path, server=None)
    assert "<b>" not in markup and anchors(markup) == [{
        "class": "orchestria-download", "download": path.name,
        "href": "data:audio/wav;base64," + base64.b64encode(b"RIFF....WAVE").decode()}]
    markup = downloads.remote_link({"name": '"><script>x</script>.mid', "url": 'https://h/f?a=1&b="2"', "path": "p"})
    assert "<script>" not in markup
    assert anchors(markup)[0]["href"] == 'https://h/f?a=1&b="2"'


class SignedSession:
    """A local session whose ``export`` also sets ``last_export`` as ``RemoteSession.export`` does:
    ``name``, ``url`` (the server's signed download URL) and ``path`` (the copy the client kept)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.last_export: list[dict[str, str]] | None = None

    def __getattr__(self, name: str):
        return getattr(self._session, name)

    def export(self, path, **kw):
        paths = self._session.export(path, **kw)
        self.last_export = [{"name": p.name, "path": str(p),
                             "url": f"https://api.example/v1/exports/exp_1/files/{p.name}?expires=9&sig=ab"}
                            for p in paths]
        return paths


def test_a_remote_export_links_to_the_signed_urls_of_last_export(small, tmp_path):
    small.command(CHORDS)
    session = SignedSession(small)
    studio = Studio(session)
    _written, links = exported(studio, "wav", tmp_path)
    assert [a["href"] for a in links] == [f["url"] for f in session.last_export]
    assert [a["download"] for a in links] == [f["name"] for f in session.last_export]
    assert all(a["target"] == "_blank" for a in links)
    assert "&amp;sig=ab" in studio.export_log.value, "the URL is escaped in the HTML"


def test_a_real_remote_session_gets_a_link_per_file(tmp_path):
    """Over HTTP: each link is a signed URL from ``RemoteSession.last_export``, which opens without a key."""
    import httpx

    from orchestria_lab.client import Client
    from orchestria_lab.server.app import create_app
    from orchestria_lab.server.keys import create_key
    from orchestria_lab.server.settings import Settings
    from orchestria_lab.server.testing import serve_in_thread
    from orchestria_lab.session.store import SQLiteStore

    store = SQLiteStore(tmp_path / "server.db")
    live = serve_in_thread(create_app(store=store, settings=Settings(data_dir=tmp_path / "server-data")))
    client = Client(live.url, create_key(store, "studio").key)
    try:
        remote = client.create(bpm=90, key="Cm", genre="lo-fi", bars=2, sample_rate=22050, seed=7)
        remote.command("add a boom bap drum beat")
        studio = Studio(remote)
        written, links = exported(studio, "midi", tmp_path)
        assert [a["href"] for a in links] == [f["url"] for f in remote.last_export]
        assert sorted(a["download"] for a in links) == [p.name for p in written]
        for link in links:
            copy = next(p for p in written if p.name == link["download"])
            assert httpx.get(link["href"], timeout=10).content == copy.read_bytes(), "the signed URL needs no key"
    finally:
        client.close()
        live.stop()
