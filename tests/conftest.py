"""Shared fixtures: every test gets its own database and data directory."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def isolated_store(tmp_path, monkeypatch):
    """Point ORCHESTRIA_DB and ORCHESTRIA_DATA_DIR at a fresh temporary folder."""
    monkeypatch.setenv("ORCHESTRIA_DB", str(tmp_path / "orchestria.db"))
    monkeypatch.setenv("ORCHESTRIA_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path


@pytest.fixture
def store(tmp_path):
    from orchestria_lab.session.store import SQLiteStore

    return SQLiteStore(tmp_path / "store.db")


@pytest.fixture
def session(store):
    """The command suite's default session: 90 bpm, Cm, lo-fi, seed 7."""
    from orchestria_lab import Session

    return Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, store=store)
