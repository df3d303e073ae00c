"""Shared fixtures: every test gets its own database and data directory.

A test marked ``@pytest.mark.backends`` runs once per store backend: its ``store`` is SQLite, then
a fresh database on a real PostgreSQL that the ``postgres_server`` fixture starts, once per test
session, from the machine's own binaries (``initdb``/``pg_ctl``). Without them those tests fail,
saying how to install them; they are never skipped.
"""

from __future__ import annotations

import os

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


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the whole test session (:class:`~orchestria_lab.session.local_postgres.
    LocalPostgres`); without the binaries, or if it cannot start, the tests that need it fail, saying why."""
    from orchestria_lab.errors import StoreError
    from orchestria_lab.session.local_postgres import LocalPostgres

    try:
        server = LocalPostgres().start()
    except StoreError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty PostgreSQL database for this test: its ``postgresql://`` URL."""
    return postgres_server.new_database("test")
