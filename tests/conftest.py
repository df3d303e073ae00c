"""Shared fixtures: every test gets its own database and data directory.

A test marked ``@pytest.mark.backends`` runs once per store backend: its ``store`` is SQLite, then
a fresh database on a real PostgreSQL that the ``postgres_server`` fixture starts, once per test
session, from the machine's own binaries (``initdb``/``pg_ctl``). Without them those tests fail,
saying how to install them; they are never skipped.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def isolated_store(tmp_path, monkeypatch):
    """Point ORCHESTRIA_DB and ORCHESTRIA_DATA_DIR at a fresh temporary folder."""
    monkeypatch.setenv("ORCHESTRIA_DB", str(tmp_path / "orchestria.db"))
    monkeypatch.delenv("ORCHESTRIA_DATABASE_URL", raising=False)  # a developer's own database stays out of it
    monkeypatch.setenv("ORCHESTRIA_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path


@pytest.fixture
def store(request, tmp_path):
    """A fresh store: SQLite, or the backend a ``backends`` test is parametrized with."""
    from orchestria_lab.session.store import SQLiteStore

    if getattr(request, "param", "sqlite") == "sqlite":
        return SQLiteStore(tmp_path / "store.db")
    from orchestria_lab.session.postgres import PostgresStore

    pg = PostgresStore(request.getfixturevalue("postgres_url"))
    request.addfinalizer(pg.close)
    return pg


@pytest.fixture
def session(store):
    """The command suite's default session: 90 bpm, Cm, lo-fi, seed 7."""
    from orchestria_lab import Session

    return Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, store=store)


# the store backends -------------------------------------------------------------------------
BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config):
    config.addinivalue_line("markers", "backends: run the test on each store backend (SQLite and PostgreSQL)")


def pytest_generate_tests(metafunc):
    if not metafunc.definition.get_closest_marker("backends"):
        return
    if "backend" in metafunc.fixturenames:  # the REST suites: one server per backend (tests/server/conftest.py)
        metafunc.parametrize("backend", BACKENDS, indirect=True, scope="session")
    elif "store" in metafunc.fixturenames:
        metafunc.parametrize("store", BACKENDS, indirect=True)


PG_MISSING = (
    "The PostgreSQL lane needs PostgreSQL's server binaries (initdb, pg_ctl, postgres), and they were not found "
    "(looked in ORCHESTRIA_PG_BIN where it is set, else on PATH and under /usr/lib/postgresql/*/bin). On Debian or Ubuntu "
    "install them with `sudo apt-get install -y postgresql` (.ci/run does this when they are missing); elsewhere install "
    "PostgreSQL 13 or later and put its bin folder on PATH or in ORCHESTRIA_PG_BIN."
)


def _pg_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: ORCHESTRIA_PG_BIN if set (and then only it), else the one on
    PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    if os.environ.get("ORCHESTRIA_PG_BIN"):
        candidates = [os.environ["ORCHESTRIA_PG_BIN"]]
    else:
        found = shutil.which("pg_ctl")
        candidates = [found and str(Path(found).resolve().parent),
                      *sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name),
                              reverse=True)]
    for folder in filter(None, candidates):
        if all((Path(folder) / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


class PostgresServer:
    """A throwaway PostgreSQL cluster: ``initdb`` into a temporary folder, listening only on a unix
    socket there, with durability off (the tests kill clients, never this server). PostgreSQL refuses
    to run as root, so under root the cluster belongs to the ``postgres`` user (else ``nobody``)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="orchestria-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self._names = itertools.count()
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
            if user is None:
                pytest.fail("PostgreSQL will not run as root, and there is no postgres or nobody user to run it as.")
            shutil.chown(self.root, user)
            self._as = ["runuser", "-u", user, "--"]

    def _run(self, *args: str) -> None:
        ran = subprocess.run([*self._as, *args], capture_output=True, text=True)
        if ran.returncode != 0:
            log = self.log.read_text()[-3000:] if self.log.exists() else ""
            pytest.fail(f"{' '.join(args[:2])} failed ({ran.returncode}): {ran.stderr.strip()}\n{log}", pytrace=False)

    def start(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        settings = (f"-c listen_addresses='' -c unix_socket_directories='{self.root}' -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", settings, "start")

    def stop(self) -> None:
        subprocess.run([*self._as, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.root}"

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the whole test session."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.fail(PG_MISSING, pytrace=False)
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty PostgreSQL database for this test: its ``postgresql://`` URL."""
    return postgres_server.new_database()
