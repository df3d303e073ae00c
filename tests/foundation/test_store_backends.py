"""Which database ORCHESTRIA_DATABASE_URL picks, ``orchestria db migrate`` and ``orchestria db copy``,
on SQLite and on a real PostgreSQL (see tests/conftest.py)."""

from __future__ import annotations

import json
import sqlite3
import threading

import psycopg
import pytest

from orchestria_lab import Session
from orchestria_lab.cli import main
from orchestria_lab.errors import InvalidValue, NotFound, StoreError
from orchestria_lab.paths import default_db_path
from orchestria_lab.session.postgres import PostgresStore
from orchestria_lab.session.store import SCHEMA_VERSION, SQLiteStore, default_store, open_store
from orchestria_lab.session.transfer import copy_sessions
from orchestria_lab.state import Edit, Note, Stem


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path) -> str:
    """The URL of a database nothing has written to yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("postgres_url")


def add(stem_id: str, n: int = 8, **kw) -> Edit:
    return Edit(add=[Stem(stem_id, role="chords", instrument="piano",
                          notes=[Note(60 + i % 12, float(i), 1.0, 90) for i in range(n)], **kw)])


def study(store, sessions: int = 2) -> list[Session]:
    """A few sessions with shared stems, a rollback and a closed one, made without the agents (fast)."""
    made = []
    for k in range(sessions):
        s = Session.create(bpm=90 + k, key="Cm", genre="lo-fi", seed=k, store=store, owner=f"acct_{k % 2}")
        s.commit(add("chords"), command="add chords")  # the same stem in every session: stored once
        s.commit(add("bass", n=4 + k), command="add bass")
        s.commit(lambda st, rng: Edit(update=[st.stem("bass").evolve(gain_db=-3.0)]), command="quieter bass")
        s.rollback(1)
        made.append(s)
    store.close_session(made[-1].id, "2030-01-01T00:00:00.000Z")
    return made


# which store ---------------------------------------------------------------------------
def test_the_database_url_picks_the_backend(monkeypatch, tmp_path, postgres_url):
    assert isinstance(default_store(), SQLiteStore) and default_store().path == default_db_path().resolve()
    monkeypatch.setenv("ORCHESTRIA_DATABASE_URL", f"sqlite:///{tmp_path / 'chosen.db'}")
    assert default_store().path == tmp_path / "chosen.db" == default_db_path()
    monkeypatch.setenv("ORCHESTRIA_DATABASE_URL", postgres_url)
    store = default_store()
    assert isinstance(store, PostgresStore) and store is default_store() and store.url == postgres_url
    Session.create(bpm=90, key="Cm", genre="lo-fi", seed=1)  # Session's default store is the URL's
    assert len(store.list_sessions()) == 1
    store.close()
    monkeypatch.setenv("ORCHESTRIA_DATABASE_URL", "mysql://ana:s3cret@db/studio")
    with pytest.raises(InvalidValue, match=r"mysql://ana:\*\*\*@db/studio.*postgresql://") as caught:
        default_store()
    assert "s3cret" not in str(caught.value)


def test_an_unreachable_postgres_says_where_and_hides_the_password():
    with pytest.raises(StoreError, match=r"Cannot connect .*postgresql://ana:\*\*\*@127\.0\.0\.1:1/x") as caught:
        open_store("postgresql://ana:s3cret@127.0.0.1:1/x")
    assert "s3cret" not in str(caught.value)


@pytest.mark.backends
def test_the_primary_key_refuses_a_second_copy_of_a_version(store):
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=1, store=store)
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.UniqueViolation)), store.transaction() as db:
        db.execute(f"INSERT INTO versions SELECT * FROM versions WHERE session_id = '{s.id}' AND version = 0")
    assert [r.version for r in store.records(s.id)] == [0]


# orchestria db migrate -------------------------------------------------------------------
def test_migrate_creates_the_schema_once(fresh_url, capsys):
    assert main(["db", "migrate", "--url", fresh_url]) == 0
    assert f"created the schema (version {SCHEMA_VERSION})" in capsys.readouterr().out
    assert main(["db", "migrate", "--url", fresh_url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["found"] == SCHEMA_VERSION
    store = open_store(fresh_url, migrate=False)
    with store.transaction() as db:
        assert db.execute("SELECT version FROM schema_info").fetchall() == [(SCHEMA_VERSION,)]
    store.close()


def test_migrate_reads_the_configured_database(monkeypatch, postgres_url, capsys):
    monkeypatch.setenv("ORCHESTRIA_DATABASE_URL", postgres_url)
    assert main(["db", "migrate"]) == 0
    assert capsys.readouterr().out.startswith(f"{postgres_url}: created the schema")


def test_postgres_migrations_from_several_processes_at_once_apply_once(postgres_url):
    found, errors = [], []

    def migrate():
        try:
            with PostgresStore(postgres_url, migrate=False) as store:
                found.append(store.migrate()[0])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(found, key=str) == [SCHEMA_VERSION] * 3 + [None]


def test_migrate_upgrades_a_schema_1_sqlite_file(tmp_path, capsys):
    path = tmp_path / "old.db"
    SQLiteStore(path).connection().close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE versions DROP COLUMN kind")
    db.execute("ALTER TABLE versions DROP COLUMN restores")
    db.execute("ALTER TABLE versions DROP COLUMN details")
    db.execute("UPDATE schema_info SET version = 1")
    db.commit()
    db.close()
    assert main(["db", "migrate", "--url", f"sqlite:///{path}"]) == 0
    assert f"upgraded the schema from version 1 to {SCHEMA_VERSION}" in capsys.readouterr().out


def test_a_schema_newer_than_this_build_is_refused(fresh_url):
    store = open_store(fresh_url)
    with store.transaction() as db:
        db.execute("UPDATE schema_info SET version = 99")
    store.close()
    with pytest.raises(StoreError, match=f"has schema 99; this build reads {SCHEMA_VERSION}"):
        open_store(fresh_url)


# orchestria db copy ----------------------------------------------------------------------
def test_copy_moves_a_local_study_to_postgres_with_versions_and_hashes_intact(tmp_path, postgres_url, capsys):
    local = SQLiteStore(tmp_path / "study.db")
    made = study(local, sessions=3)
    assert main(["db", "copy", "--from", local.url, "--to", postgres_url]) == 0
    assert "Copied 3 sessions (15 versions)" in capsys.readouterr().out
    team = PostgresStore(postgres_url)
    assert team.list_sessions() == local.list_sessions()
    for s in made:
        assert team.export_session(s.id) == local.export_session(s.id)  # every row and payload, as stored
        assert team.records(s.id) == local.records(s.id) and team.session_info(s.id) == local.session_info(s.id)
        for v in range(s.version + 1):
            assert [st.hash for st in team.load_state(s.id, v).stems] == [st.hash for st in s.state_at(v).stems]
    assert team.stats() == local.stats()  # the shared chords stem is stored once there too
    again = Session.open(made[0].id, store=team)
    assert again.commit(add("pad"), command="add pad").version == made[0].version + 1
    team.close()


def test_copy_back_from_postgres_gives_the_same_rows(tmp_path, postgres_url):
    with PostgresStore(postgres_url) as team:
        made = study(team)
    copy_sessions(postgres_url, f"sqlite:///{tmp_path / 'back.db'}")
    back = SQLiteStore(tmp_path / "back.db")
    with PostgresStore(postgres_url) as team:
        assert [back.export_session(s.id) for s in made] == [team.export_session(s.id) for s in made]


def test_copy_refuses_to_overwrite_any_session_and_copies_nothing(tmp_path, postgres_url, capsys):
    local = SQLiteStore(tmp_path / "study.db")
    first = study(local)
    copy_sessions(local.url, postgres_url)
    newer = Session.create(bpm=120, key="A", genre="house", seed=5, store=local)
    assert main(["db", "copy", "--from", local.url, "--to", postgres_url]) == 2
    err = capsys.readouterr().err
    assert "already holds 2 of the 3 sessions to copy" in err and first[0].id in err
    assert "never overwrites a session, so nothing was copied" in err
    with PostgresStore(postgres_url) as team:
        assert newer.id not in team.list_sessions()
        assert main(["db", "copy", "--from", local.url, "--to", postgres_url, "--session", newer.id]) == 0
        assert newer.id in team.list_sessions()


def test_copy_refuses_unknown_sessions_and_damaged_stems(tmp_path):
    local = SQLiteStore(tmp_path / "study.db")
    (s, _) = study(local)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(NotFound, match="ses_0000000000000000.*Available"):
        copy_sessions(local.url, target, session_ids=["ses_0000000000000000"])
    with local.transaction() as db:  # swap two payloads: each no longer matches its hash
        (a, pa), (b, pb) = db.execute("SELECT hash, payload FROM stems ORDER BY hash LIMIT 2").fetchall()
        db.execute("UPDATE stems SET payload = ? WHERE hash = ?", (pb, a))
        db.execute("UPDATE stems SET payload = ? WHERE hash = ?", (pa, b))
    with pytest.raises(StoreError, match="does not match its hash"):
        copy_sessions(local.url, target)
    assert SQLiteStore(tmp_path / "target.db").list_sessions() == []
    with pytest.raises(StoreError, match="a copy needs two databases"):
        copy_sessions(local.url, local.url)
