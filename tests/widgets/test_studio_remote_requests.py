"""What a Studio command costs over HTTP: the command's answer carries the session after it, so
the Studio redraws its stems, history, diff and header without asking again (issues 17/18: six
requests a command tripped the 60-a-minute limit after ten)."""

from __future__ import annotations

import httpx
import pytest

from orchestria_lab.client import Client
from orchestria_lab.server.app import create_app
from orchestria_lab.server.keys import create_key
from orchestria_lab.server.settings import Settings
from orchestria_lab.server.testing import serve_in_thread
from orchestria_lab.session.store import SQLiteStore
from orchestria_lab.widgets import Studio


class CountingTransport(httpx.HTTPTransport):
    """A real transport that keeps the method and path of every request sent through it."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        return super().handle_request(request)


@pytest.fixture
def counted(tmp_path):
    store = SQLiteStore(tmp_path / "server.db")
    live = serve_in_thread(create_app(store=store, settings=Settings(data_dir=tmp_path / "data",
                                                                     requests_per_minute=10_000)))
    transport = CountingTransport()
    client = Client(live.url, create_key(store, "studio").key, transport=transport)
    try:
        session = client.create(bpm=90, key="Cm", genre="lo-fi", bars=2, sample_rate=22050, seed=7)
        yield Studio(session), session, transport
    finally:
        client.close()
        live.stop()


def _redrawn(studio: Studio, session) -> None:
    assert studio.last_error is None, studio.last_error
    assert studio.history.value == session.version and str(session.version) in studio.header.value
    assert list(studio.stem_rows) == session.stems["stem_id"].tolist()


def test_a_studio_command_is_one_request(counted):
    """A command, a mute from the mixer and a dry run: each is its one POST, and the Studio
    redraws stems, history, diff and header from its answer."""
    studio, session, transport = counted
    for run in (lambda: studio.run("add a boom bap drum beat"),
                lambda: setattr(studio.stem_rows["drums"].mute, "value", True),
                lambda: studio.run("add a bass line", dry_run=True)):
        transport.sent.clear()
        run()
        _redrawn(studio, session)
        assert transport.sent == [("POST", f"/v1/sessions/{session.id}/command")]
    assert session.version == 2 and bool(session.stems.iloc[0]["muted"]) is True


def test_sixty_studio_commands_fit_in_the_rate_limit_of_a_minute(tmp_path):
    """A Studio that asked six requests per command tripped a limit of 60 a minute after ten
    commands; now the limit holds the create, the Studio's first read and sixty commands."""
    store = SQLiteStore(tmp_path / "server.db")
    live = serve_in_thread(create_app(store=store, settings=Settings(data_dir=tmp_path / "data",
                                                                     requests_per_minute=62)))
    try:
        with Client(live.url, create_key(store, "studio").key) as client:
            session = client.create(bpm=90, key="Cm", genre="lo-fi", bars=1, sample_rate=22050, seed=7)
            studio = Studio(session)  # one read, as it opens
            for k in range(60):
                studio.run(f"set the tempo to {70 + k}")
                assert studio.last_error is None, (k, studio.last_error)
            assert session.version == 60 and session.bpm == 129
    finally:
        live.stop()
