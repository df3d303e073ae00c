"""Real servers on loopback for the REST shim's tests.

``live_server_factory(**limits)`` runs uvicorn in a thread on a socket bound to 127.0.0.1:0, over a
fresh database and data dir; ``spawn_servers`` runs ``orchestria serve`` in subprocesses.

The database is SQLite, or for a test marked ``@pytest.mark.backends`` SQLite and then a fresh
database on the real PostgreSQL that ``postgres_server`` (tests/conftest.py) starts: the
session-scoped ``backend`` fixture is parametrized, and every server a test gets is on it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from orchestria_lab.server.app import create_app
from orchestria_lab.server.keys import create_key
from orchestria_lab.server.settings import Settings
from orchestria_lab.server.testing import ThreadedServer, loopback_socket, serve_in_thread
from orchestria_lab.session.session import Session
from orchestria_lab.session.store import SQLiteStore, Store
from orchestria_lab.state import Edit, Note, Stem

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def backend(request) -> str:
    """The store backend of this test's servers: "sqlite", or what a ``backends`` test is run with."""
    return getattr(request, "param", "sqlite")


def database_env(store: Store) -> dict[str, str]:
    """The environment that points ``orchestria serve`` at ``store``'s database."""
    if isinstance(store, SQLiteStore):
        return {"ORCHESTRIA_DB": str(store.path)}
    return {"ORCHESTRIA_DATABASE_URL": store.url}


def sql(store: Store, query: str, *args) -> list[tuple]:
    """The rows of ``query`` (``?`` parameters) on ``store``'s database, whichever backend: for tests
    that look at what the server wrote."""
    if isinstance(store, SQLiteStore):
        return store.connection().execute(query, args).fetchall()
    with store.connection() as db:
        return db.execute(query.replace("?", "%s"), args).fetchall()


@dataclass
class LiveServer:
    url: str
    store: Store
    settings: Settings

    def key(self, account: str = "alice") -> str:
        return create_key(self.store, account).key

    def client(self, key: str | None = None, **kw) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kw)


@pytest.fixture(scope="session")
def live_server_factory(tmp_path_factory, backend, request) -> Iterator:
    running: list[ThreadedServer] = []
    stores: list[Store] = []

    def start(**limits) -> LiveServer:
        root = tmp_path_factory.mktemp("server")
        if backend == "sqlite":
            store: Store = SQLiteStore(root / "orchestria.db")
        else:
            from orchestria_lab.session.postgres import PostgresStore

            store = PostgresStore(request.getfixturevalue("postgres_server").new_database())
        stores.append(store)
        settings = replace(Settings(data_dir=root / "data", requests_per_minute=100_000,
                                    max_open_sessions=1000, exports_per_day=1000), **limits)
        live = serve_in_thread(create_app(store=store, settings=settings))
        running.append(live)
        return LiveServer(live.url, store, settings)

    yield start
    for live in running:
        live.stop()
    for store in stores:
        store.close()


@pytest.fixture(scope="session")
def server(live_server_factory) -> LiveServer:
    """One shared server with limits too high to meet."""
    return live_server_factory()


@pytest.fixture
def alice(server) -> httpx.Client:
    with server.client(server.key("alice")) as client:
        yield client


def free_port() -> int:
    with loopback_socket() as sock:
        return sock.getsockname()[1]


@pytest.fixture
def spawn_servers(tmp_path) -> Iterator:
    """``spawn(n, store=None, db=None, **env)``: n ``orchestria serve`` processes on one database (a
    fresh SQLite one, ``store``'s, or the SQLite file ``db``), started together; returns their base
    URLs once all answer."""
    procs: list[subprocess.Popen] = []
    logs: dict[int, Path] = {}
    env = {**os.environ, "ORCHESTRIA_DB": str(tmp_path / "orchestria.db"),
           "ORCHESTRIA_DATA_DIR": str(tmp_path / "data")}

    def spawn(count: int, *, store: Store | None = None, db: Path | None = None, **extra_env: str) -> list[str]:
        urls = []
        where = database_env(store) if store is not None else {"ORCHESTRIA_DB": str(db)} if db else {}
        for _ in range(count):
            port = free_port()
            run_env = {**env, **extra_env, **where}
            log = tmp_path / f"serve-{port}.log"  # a file, not a pipe: a pipe nobody reads fills and stops the server
            with log.open("wb") as out:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "orchestria_lab.cli", "serve", "--port", str(port), "--log-level", "warning"],
                    cwd=ROOT, env=run_env, stdout=out, stderr=subprocess.STDOUT))
            logs[procs[-1].pid] = log
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for proc, url in zip(procs[-count:], urls, strict=True):
            while True:
                assert proc.poll() is None, logs[proc.pid].read_text()
                try:
                    httpx.get(url + "/openapi.json", timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "orchestria serve did not start in 60 s"
                    time.sleep(0.1)
        return urls

    spawn.env = env
    yield spawn
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def in_threads(target, count: int, *, timeout: float = 300) -> None:
    """Run ``target(n)`` for n in 0..count-1, all at once, and wait for them."""
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)


def add_stem(store: Store, session_id: str, stem_id: str = "chords", *, pitch: int = 60) -> int:
    """Commit a hand-made version adding one stem; returns its number."""
    session = Session.open(session_id, store)
    stem = Stem(stem_id, role="chords", instrument="piano", agent="harmony",
                notes=[Note(pitch, 0.0, 1.0, 90), Note(pitch + 3, 1.0, 1.0, 90)])
    return session.commit(Edit(add=[stem]), command=f"add {stem_id}", agents=("harmony",)).version
