"""The PostgreSQL store: :class:`~orchestria_lab.session.store.Store` for a team's server.

``ORCHESTRIA_DATABASE_URL=postgresql://USER:PASSWORD@HOST:PORT/DB`` selects it
(:func:`~orchestria_lab.session.store.open_store`). It keeps the SQLite store's semantics:

- each version is written in one transaction, so a crash of a writer or of the server leaves
  no half version (PostgreSQL rolls back what was not committed);
- a commit lands only on the base it was built on: the writer locks the session's row, reads
  the head and refuses with :class:`~orchestria_lab.errors.VersionConflict` if it moved, and the
  ``(session_id, version)`` primary key refuses a second writer of one version, with the same
  error, so :meth:`Session.commit <orchestria_lab.session.session.Session.commit>` retries the same way;
- stems are content-addressed: each payload is stored once under its hash.

The tables and their columns are SQLite's, so sessions move between the two as they are
(``orchestria db copy``). Connections come from a psycopg_pool ``ConnectionPool``, shared by
the threads of a process; a forked child opens its own.
"""

from __future__ import annotations

import json
import os
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pgerrors
from psycopg_pool import ConnectionPool, PoolTimeout

from orchestria_lab.errors import NotFound, StoreError, VersionConflict
from orchestria_lab.session.store import (
    SCHEMA_VERSION,
    Dialect,
    SessionRows,
    VersionRecord,
    _pack,
    _unpack,
    check_extra,
    conflict,
    redact,
)
from orchestria_lab.state import Meta, State, Stem

__all__ = ["MIGRATIONS", "PostgresStore"]

_SCHEMA_2 = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE TABLE stems (
    hash TEXT PRIMARY KEY,
    payload BYTEA NOT NULL
);
CREATE TABLE versions (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    version INTEGER NOT NULL,
    parent INTEGER,
    command TEXT NOT NULL,
    agents TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seed BIGINT NOT NULL,
    meta TEXT NOT NULL,
    stems TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'edit',
    restores INTEGER,
    PRIMARY KEY (session_id, version)
);
CREATE INDEX sessions_owner ON sessions(owner);
"""

#: ``(schema version, SQL that brings the schema from the one before to it)``, in order. PostgreSQL
#: starts at schema 2, SQLite's typed history; a later schema is one more entry here.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (2, _SCHEMA_2),
    (3, "ALTER TABLE versions ADD COLUMN IF NOT EXISTS details TEXT"),  # a variations version's candidates
)
#: PostgreSQL's SQL where it is not SQLite's (:class:`~orchestria_lab.session.store.Dialect`).
POSTGRES = Dialect("%s", "INSERT INTO stems (hash, payload) VALUES (%s, %s) ON CONFLICT (hash) DO NOTHING",
                   pgerrors.UniqueViolation)
#: The advisory lock that lets one process at a time migrate a database.
_MIGRATION_LOCK = 0x6F72636865737472  # "orchestr"


class PostgresStore:
    """Sessions, versions and stems in PostgreSQL, through a connection pool.

    ``min_size``/``max_size`` size the pool of each process; a thread waits up to ``timeout``
    seconds for a free connection. ``migrate`` creates or upgrades the schema on open (under an
    advisory lock, so several processes may open one database at once).
    """

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8, timeout: float = 30.0,
                 migrate: bool = True) -> None:
        self.url = url
        self.timeout = timeout
        self._sizes = (min_size, max_size)
        self._pools: tuple[int, ConnectionPool] | None = None
        self._release: weakref.finalize | None = None
        if migrate:
            try:
                self.migrate()
            except BaseException:
                self.close()
                raise

    def __repr__(self) -> str:
        return f"PostgresStore({redact(self.url)!r})"

    # connections -----------------------------------------------------------------------
    def _pool(self) -> ConnectionPool:
        if self._pools is not None and self._pools[0] == os.getpid():
            return self._pools[1]
        # First use, or a forked child: the parent's pool is left alone, never closed here (that would
        # close the parent's connections too; psycopg does not close them when they are collected).
        self._check_reachable()
        pool = ConnectionPool(self.url, min_size=self._sizes[0], max_size=self._sizes[1], timeout=self.timeout,
                              kwargs={"autocommit": True}, name="orchestria", open=True)
        self._pools = (os.getpid(), pool)
        # A store dropped without close() closes its pool from the thread that drops it (left to the
        # pool, that would happen in one of its own threads, which cannot wait for themselves).
        self._release = weakref.finalize(self, _close_pool, pool, os.getpid())
        return pool

    def _check_reachable(self) -> None:
        """Connect once outside the pool, so a wrong URL or a stopped server says why (the pool
        would only time out)."""
        try:
            psycopg.connect(self.url, connect_timeout=max(1, int(self.timeout))).close()
        except psycopg.Error as exc:
            raise StoreError(f"Cannot connect to the PostgreSQL store {redact(self.url)}: {' '.join(str(exc).split())} "
                             "Check the URL (ORCHESTRIA_DATABASE_URL, or the one given) and that the server is "
                             "running.") from exc

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection (autocommit; transactions are explicit), returned to the pool after."""
        try:
            with self._pool().connection() as db:
                yield db
        except PoolTimeout as exc:
            raise StoreError(f"The PostgreSQL store {redact(self.url)} is busy: no free connection of "
                             f"{self._sizes[1]} in {self.timeout:g} s.") from exc
        except psycopg.OperationalError as exc:
            raise StoreError(f"The PostgreSQL store {redact(self.url)} failed: {' '.join(str(exc).split())}") from exc

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """``BEGIN`` ... ``COMMIT`` (read committed) on a pooled connection; an exception rolls back."""
        with self.connection() as db, db.transaction():
            yield db

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection]:
        """One read-only snapshot: every statement inside sees the same committed database."""
        with self.transaction() as db:
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield db

    def close(self) -> None:
        """Close this process's pool (a later call opens a new one)."""
        if self._release is not None:
            self._release()
        self._pools = self._release = None

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # schema ----------------------------------------------------------------------------
    def migrate(self) -> tuple[int | None, int]:
        """Apply the :data:`MIGRATIONS` the database lacks, in one transaction; return ``(schema found,
        schema now)``. Idempotent, and safe to run from several processes at once."""
        with self.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_info (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_info").fetchone()
            found = None if row is None else int(row[0])
            if found is not None and found > SCHEMA_VERSION:
                raise StoreError(f"{redact(self.url)} has schema {found}; this build reads {SCHEMA_VERSION}.")
            try:
                for version, sql in MIGRATIONS:
                    if found is None or version > found:
                        db.execute(sql)
            except pgerrors.DuplicateTable as exc:
                raise StoreError(f"{redact(self.url)} has tables of its own but no schema_info: it is not an "
                                 f"Orchestria store, or it was made by hand. ({str(exc).strip()})") from exc
            if found is None:
                db.execute("INSERT INTO schema_info VALUES (%s)", (SCHEMA_VERSION,))
            elif found < SCHEMA_VERSION:
                db.execute("UPDATE schema_info SET version = %s", (SCHEMA_VERSION,))
        return found, SCHEMA_VERSION

    # writes ----------------------------------------------------------------------------
    def create_session(self, session_id: str, state: State, record: VersionRecord, *,
                       owner: str | None = None) -> None:
        with self.transaction() as db:
            try:
                db.execute(POSTGRES.insert_session, (session_id, owner, record.created_at, None))
            except POSTGRES.duplicate as exc:
                raise VersionConflict(f"Session {session_id!r} already exists.") from exc
            self._write_version(db, session_id, record, state)

    def append_version(self, session_id: str, record: VersionRecord, state: State, *,
                       base: int, extra: tuple[Stem, ...] = ()) -> None:
        """Write ``record`` and ``state`` as the version after ``base``, the version they were
        built on, with ``extra`` stems (a variations version's other candidates) in the same
        transaction. Raises VersionConflict, writing nothing, unless ``base`` is still the head."""
        check_extra(record, state, extra)
        if record.version != base + 1:
            raise ValueError(f"version {record.version} cannot follow base {base}: versions go up by one")
        with self.transaction() as db:
            # Writers of one session queue on its row; the head read after the lock is the real one.
            if db.execute("SELECT 1 FROM sessions WHERE id = %s FOR NO KEY UPDATE", (session_id,)).fetchone() is None:
                raise NotFound("session", session_id)
            head = self._head(db, session_id)
            if head != base:
                raise conflict(session_id, head, base)
            try:
                self._write_version(db, session_id, record, state, extra)
            except POSTGRES.duplicate as exc:  # the primary key: someone wrote this version
                raise conflict(session_id, base + 1, base) from exc

    def _write_version(self, db: psycopg.Connection, session_id: str, record: VersionRecord,
                       state: State, extra: tuple[Stem, ...] = ()) -> None:
        stems = (*state.stems, *extra)
        hashes = sorted({s.hash for s in stems})  # one order for every writer: no deadlock on stems
        known = {row[0] for row in db.execute("SELECT hash FROM stems WHERE hash = ANY(%s)", (hashes,))}
        new = {s.hash: s for s in stems if s.hash not in known}
        if new:
            with db.cursor() as cur:
                cur.executemany(POSTGRES.insert_stem, [(h, _pack(new[h].to_dict(with_hashes=False))) for h in sorted(new)])
        db.execute(POSTGRES.insert_version, (session_id, *record.row(state)))

    def close_session(self, session_id: str, closed_at: str) -> None:
        with self.transaction() as db:
            updated = db.execute("UPDATE sessions SET closed_at = COALESCE(closed_at, %s) WHERE id = %s",
                                 (closed_at, session_id))
            if updated.rowcount == 0:
                raise NotFound("session", session_id)

    # reads -----------------------------------------------------------------------------
    def snapshot(self, session_id: str, *, after: int = -1) -> tuple[list[VersionRecord], State | None]:
        """The records of the versions after ``after`` and the head's state, read together
        (``([], None)`` when nothing came after ``after``)."""
        with self._read() as db:
            records = self._records(db, session_id, after)
            if not records:
                self._head(db, session_id)  # NotFound for an unknown session
                return [], None
            return records, self._load_state(db, session_id, records[-1].version)

    def head(self, session_id: str) -> int:
        with self.connection() as db:
            return self._head(db, session_id)

    def _head(self, db: psycopg.Connection, session_id: str) -> int:
        row = db.execute("SELECT MAX(version) FROM versions WHERE session_id = %s", (session_id,)).fetchone()
        if row is None or row[0] is None:
            raise NotFound("session", session_id)
        return int(row[0])

    def load_state(self, session_id: str, version: int) -> State:
        with self._read() as db:
            return self._load_state(db, session_id, version)

    def _load_state(self, db: psycopg.Connection, session_id: str, version: int) -> State:
        row = db.execute("SELECT meta, stems FROM versions WHERE session_id = %s AND version = %s",
                         (session_id, int(version))).fetchone()
        if row is None:
            head = self._head(db, session_id)
            raise NotFound("version", version, [str(v) for v in range(head + 1)][-20:])
        hashes = json.loads(row[1])
        payloads = dict(db.execute("SELECT hash, payload FROM stems WHERE hash = ANY(%s)", (hashes,)).fetchall())
        try:
            stems = tuple(Stem.from_dict(_unpack(payloads[h])) for h in hashes)
        except KeyError as exc:
            raise StoreError(f"Stem {exc} of {session_id} v{version} is missing from {redact(self.url)}.") from exc
        return State(Meta(**json.loads(row[0])), stems)

    def load_stems(self, hashes: list[str]) -> tuple[Stem, ...]:
        """The stems stored under ``hashes``, in that order (a StoreError names any that are not)."""
        with self._read() as db:
            payloads = dict(db.execute("SELECT hash, payload FROM stems WHERE hash = ANY(%s)", (list(hashes),)).fetchall())
        try:
            return tuple(Stem.from_dict(_unpack(payloads[h])) for h in hashes)
        except KeyError as exc:
            raise StoreError(f"Stem {exc} is missing from {redact(self.url)}.") from exc

    def records(self, session_id: str) -> list[VersionRecord]:
        with self.connection() as db:
            records = self._records(db, session_id, -1)
        if not records:
            raise NotFound("session", session_id)
        return records

    def _records(self, db: psycopg.Connection, session_id: str, after: int) -> list[VersionRecord]:
        rows = db.execute(POSTGRES.select_records, (session_id, int(after))).fetchall()
        return [VersionRecord.from_row(row) for row in rows]

    def session_info(self, session_id: str) -> dict[str, Any]:
        with self.connection() as db:
            row = db.execute("SELECT id, owner, created_at, closed_at FROM sessions WHERE id = %s",
                             (session_id,)).fetchone()
        if row is None:
            raise NotFound("session", session_id)
        return dict(zip(("id", "owner", "created_at", "closed_at"), row, strict=True))

    def list_sessions(self, *, owner: str | None = None, open_only: bool = False) -> list[str]:
        sql, args = "SELECT id FROM sessions WHERE TRUE", []
        if owner is not None:
            sql += " AND owner = %s"
            args.append(owner)
        if open_only:
            sql += " AND closed_at IS NULL"
        with self.connection() as db:
            return [r[0] for r in db.execute(sql + " ORDER BY created_at, id", args)]

    def stats(self) -> dict[str, int]:
        """Row counts, for tests and the curious: storage grows with what changed."""
        with self.connection() as db:
            return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("sessions", "versions", "stems")}

    # whole sessions, between stores ----------------------------------------------------------
    def export_session(self, session_id: str) -> SessionRows:
        """The session as stored, in one read (see :class:`~orchestria_lab.session.store.SessionRows`)."""
        with self._read() as db:
            row = db.execute("SELECT id, owner, created_at, closed_at FROM sessions WHERE id = %s",
                             (session_id,)).fetchone()
            if row is None:
                raise NotFound("session", session_id)
            versions = tuple(db.execute(POSTGRES.select_versions, (session_id,)).fetchall())
            rows = SessionRows(row, versions, {})
            rows.stems.update(db.execute("SELECT hash, payload FROM stems WHERE hash = ANY(%s)",
                                         (sorted(rows.stem_hashes()),)).fetchall())
            return rows

    def import_sessions(self, sessions: Iterable[SessionRows]) -> list[str]:
        """Write whole sessions as they were stored elsewhere, all in one transaction; return their ids.
        A session id already here is refused with a StoreError, and then nothing is written."""
        done = []
        with self.transaction() as db:
            for rows in sessions:
                try:
                    db.execute(POSTGRES.insert_session, rows.session)
                except POSTGRES.duplicate as exc:
                    raise StoreError(f"Session {rows.id!r} is already in {redact(self.url)}: nothing was copied.",
                                     session=rows.id) from exc
                with db.cursor() as cur:
                    cur.executemany(POSTGRES.insert_stem, sorted(rows.stems.items()))
                    cur.executemany(POSTGRES.insert_version, [(rows.id, *version) for version in rows.versions])
                done.append(rows.id)
        return done


def _close_pool(pool: ConnectionPool, pid: int) -> None:
    if os.getpid() == pid:  # a forked child leaves its parent's pool alone
        pool.close()
