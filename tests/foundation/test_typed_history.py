"""Typed history: each version says what made it (``kind``) and whose content it holds (``restores``);
undo and redo read those fields, never the words of a summary, and a schema-1 store is migrated."""

from __future__ import annotations

import sqlite3

import pytest

from orchestria_lab import Session
from orchestria_lab.errors import StoreError
from orchestria_lab.session.store import SCHEMA_VERSION, SQLiteStore, VersionRecord


def _session(store) -> Session:
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, store=store)
    s.command("add warm piano chords")     # v1
    s.command("add a boom bap drum beat")  # v2
    s.command("undo")                      # v3: content of v1
    s.command("redo")                      # v4: content of v2
    s.command("go back to version 1")      # v5
    s.rollback(2)                          # v6
    return s


def kinds(session: Session) -> list[tuple[str, int | None]]:
    return [(r.kind, r.restores) for r in session.records]


@pytest.mark.backends
def test_every_version_says_what_made_it_and_what_it_restores(store):
    s = _session(store)
    assert kinds(s) == [("create", None), ("edit", None), ("edit", None), ("undo", 1), ("redo", 2), ("goto", 1),
                        ("rollback", 2)]
    assert {"kind", "restores"} <= set(s.versions.columns)
    assert kinds(Session.open(s.id, store=store)) == kinds(s)  # stored, not inferred


@pytest.mark.backends
def test_undo_and_redo_do_not_read_the_summaries(store):
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, store=store)
    s.command("add warm piano chords")
    s.command("add a boom bap drum beat")
    s.command("undo")
    with store.transaction() as db:  # words are for people: scramble them
        db.execute("UPDATE versions SET summary = 'something else entirely'")
    s = Session.open(s.id, store=store)
    assert s.command("redo").message.startswith("redo: v2")
    assert [st.role for st in s.state.stems] == ["chords", "drums"]
    s.command("undo")
    assert [st.role for st in s.state.stems] == ["chords"]


def test_a_kind_that_restores_must_name_what_it_restores():
    with pytest.raises(StoreError, match="restores"):
        VersionRecord(1, 0, "undo", ("history",), "undo", "now", 1, "undo")
    with pytest.raises(StoreError, match="not one of"):
        VersionRecord(1, 0, "x", (), "x", "now", 1, "merge")


def test_a_schema_1_store_is_migrated_with_its_history_kinds(tmp_path):
    path = tmp_path / "old.db"
    s = _session(SQLiteStore(path))
    expected = kinds(s)
    db = sqlite3.connect(path)  # make it a schema-1 file: no kind, no restores
    db.execute("ALTER TABLE versions DROP COLUMN kind")
    db.execute("ALTER TABLE versions DROP COLUMN restores")
    db.execute("ALTER TABLE versions DROP COLUMN details")  # schema 3's
    db.execute("UPDATE schema_info SET version = 1")
    db.commit()
    db.close()
    migrated = SQLiteStore(path)
    again = Session.open(s.id, store=migrated)
    assert kinds(again) == expected
    assert again.command("undo").version == 7  # and the history works on
    assert migrated.connection().execute("SELECT version FROM schema_info").fetchone()[0] == SCHEMA_VERSION
