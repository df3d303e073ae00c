"""Where versions live: a small :class:`Store` interface, its SQLite implementation, and the URL
that picks one (:func:`open_store`, :func:`default_store`).

Stems are content-addressed: a version row lists ``(stem_id, hash)`` pairs and each stem
payload is stored once under its hash, however many versions share it. Each version is
written in one ``BEGIN IMMEDIATE`` transaction, so a crash leaves no half version.

Writers never lose each other's work. A writer reads the head's records and state together
(:meth:`Store.snapshot`, one read transaction), builds on them, and commits saying which
version it built on (``base``); the store refuses the commit with a
:class:`~orchestria_lab.errors.VersionConflict` unless that base is still the head, and the
writer rebuilds on the new head. The ``(session_id, version)`` primary key backs this up.

``ORCHESTRIA_DATABASE_URL`` chooses the database: unset or ``sqlite:///PATH`` for this SQLite
store (``ORCHESTRIA_DB`` names the file when the URL is unset), ``postgresql://...`` for
:class:`~orchestria_lab.session.postgres.PostgresStore`, which keeps the same semantics for a
team's server. ``session/`` only talks to the :class:`Store` interface.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from orchestria_lab.errors import InvalidValue, NotFound, StoreError, VersionConflict
from orchestria_lab.paths import data_dir, database_url, default_db_path
from orchestria_lab.state import Meta, State, Stem

SCHEMA_VERSION = 3
#: What made a version: the first one, an edit by the agents, or a move through the history
#: (its ``restores`` names the version whose content it holds again).
KINDS = ("create", "edit", "undo", "redo", "goto", "rollback", "import", "choose")
#: The kinds that hold an earlier version's content.
RESTORING = frozenset({"undo", "redo", "goto", "rollback"})

#: A version row's columns, in the order :class:`SessionRows` holds them.
VERSION_COLUMNS = ("version", "parent", "command", "agents", "summary", "created_at", "seed", "meta", "stems",
                   "kind", "restores", "details")
#: The columns a :class:`VersionRecord` is read from, in its fields' order.
RECORD_COLUMNS = ("version", "parent", "command", "agents", "summary", "created_at", "seed", "kind", "restores",
                  "details")

__all__ = ["SQLiteStore", "SessionRows", "Store", "VersionRecord", "data_dir", "database_url", "default_db_path",
           "default_store", "open_store"]


@dataclass(frozen=True)
class VersionRecord:
    """What is known about one version besides its content."""

    version: int
    parent: int | None
    command: str
    agents: tuple[str, ...]
    summary: str
    created_at: str
    seed: int
    kind: str = "edit"
    restores: int | None = None
    #: What else the version holds, as JSON-ready data: a variations version's ``candidates`` (each with
    #: its label, seed, score, scores and the ``stems`` hashes of its state) and the ``chosen`` index; a
    #: choose version's ``chose`` (the candidate, counted from 1), ``from_version`` and ``score``.
    details: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise StoreError(f"version kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if (self.restores is not None) != (self.kind in RESTORING):
            raise StoreError(f"a {self.kind} version {'names' if self.kind in RESTORING else 'has no'} the version it restores")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["agents"] = list(self.agents)
        return d

    @property
    def candidates(self) -> list[dict[str, Any]]:
        """The candidates a variations version was chosen from (``[]`` for any other version)."""
        return list((self.details or {}).get("candidates", []))

    def details_json(self) -> str | None:
        """:attr:`details` as stored (a JSON text, or NULL)."""
        return None if self.details is None else json.dumps(self.details, sort_keys=True)

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> VersionRecord:
        """From the :data:`RECORD_COLUMNS` of a row (agents and details as JSON text)."""
        version, parent, command, agents, summary, created_at, seed, kind, restores, details = row
        return cls(version, parent, command, tuple(json.loads(agents)), summary, created_at, seed, kind, restores,
                   None if details is None else json.loads(details))

    def row(self, state: State) -> tuple[Any, ...]:
        """The :data:`VERSION_COLUMNS` of this version with ``state`` as its content, as every store writes them."""
        return (self.version, self.parent, self.command, json.dumps(list(self.agents)), self.summary,
                self.created_at, self.seed, json.dumps(state.meta.to_dict()), json.dumps([s.hash for s in state.stems]),
                self.kind, self.restores, self.details_json())

    def candidate_hashes(self) -> set[str]:
        """The stem hashes the candidates name (stored with the version, like its own stems)."""
        return {h for c in self.candidates for h in c.get("stems", [])}


@dataclass(frozen=True)
class SessionRows:
    """One session exactly as a store holds it, the same on every backend: its row ``(id, owner,
    created_at, closed_at)``, its version rows (:data:`VERSION_COLUMNS`) in order, and the payload of
    every stem they name, by hash. ``orchestria db copy`` moves these, so versions and hashes are intact."""

    session: tuple[str, str | None, str, str | None]
    versions: tuple[tuple[Any, ...], ...]
    stems: dict[str, bytes]

    @property
    def id(self) -> str:
        return self.session[0]

    def stem_hashes(self) -> set[str]:
        """Every stem hash the versions name."""
        at, details = VERSION_COLUMNS.index("stems"), VERSION_COLUMNS.index("details")
        named = {h for row in self.versions for h in json.loads(row[at])}
        for row in self.versions:  # a variations version's candidates name stems of their own
            for candidate in json.loads(row[details] or "{}").get("candidates", []):
                named.update(candidate.get("stems", []))
        return named


class Store(Protocol):
    """The persistence interface ``session/`` depends on.

    ``snapshot`` and ``append_version`` are the pair that makes concurrent writers safe:
    the records and the state a writer builds on come from one read, and the commit names
    that base, so it lands only on top of exactly what was built on.
    """

    @property
    def url(self) -> str:
        """Where it is, as ``ORCHESTRIA_DATABASE_URL`` would name it."""
        ...

    def create_session(self, session_id: str, state: State, record: VersionRecord, *,
                       owner: str | None = None) -> None: ...
    def append_version(self, session_id: str, record: VersionRecord, state: State, *,
                       base: int, extra: tuple[Stem, ...] = ()) -> None: ...
    def snapshot(self, session_id: str, *, after: int = -1) -> tuple[list[VersionRecord], State | None]: ...
    def head(self, session_id: str) -> int: ...
    def load_state(self, session_id: str, version: int) -> State: ...
    def load_stems(self, hashes: list[str]) -> tuple[Stem, ...]: ...
    def records(self, session_id: str) -> list[VersionRecord]: ...
    def session_info(self, session_id: str) -> dict[str, Any]: ...
    def list_sessions(self, *, owner: str | None = None, open_only: bool = False) -> list[str]: ...
    def close_session(self, session_id: str, closed_at: str) -> None: ...
    # whole sessions, as stored, for ``orchestria db copy``; and letting go of connections
    def export_session(self, session_id: str) -> SessionRows: ...
    def import_sessions(self, sessions: Iterable[SessionRows]) -> list[str]: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL of the stores, declared once: how a statement marks a parameter,
    how it stores a stem that may be there already, and what a duplicate key raises. The statements
    both stores run are built from it, so the two write the same rows.

    >>> SQLITE.insert_session
    'INSERT INTO sessions (id, owner, created_at, closed_at) VALUES (?, ?, ?, ?)'
    """

    mark: str
    insert_stem: str
    duplicate: type[BaseException]

    def marks(self, n: int) -> str:
        return ", ".join([self.mark] * n)

    @property
    def insert_session(self) -> str:
        return f"INSERT INTO sessions (id, owner, created_at, closed_at) VALUES ({self.marks(4)})"

    @property
    def insert_version(self) -> str:
        return f"INSERT INTO versions (session_id, {', '.join(VERSION_COLUMNS)}) VALUES ({self.marks(len(VERSION_COLUMNS) + 1)})"

    @property
    def select_records(self) -> str:
        """The records of a session's versions after one (parameters: session id, version)."""
        return (f"SELECT {', '.join(RECORD_COLUMNS)} FROM versions WHERE session_id = {self.mark} AND version > "
                f"{self.mark} ORDER BY version")

    @property
    def select_versions(self) -> str:
        """A session's version rows as stored (:data:`VERSION_COLUMNS`; parameter: session id)."""
        return f"SELECT {', '.join(VERSION_COLUMNS)} FROM versions WHERE session_id = {self.mark} ORDER BY version"


SQLITE = Dialect("?", "INSERT OR IGNORE INTO stems (hash, payload) VALUES (?, ?)", sqlite3.IntegrityError)


def check_extra(record: VersionRecord, state: State, extra: tuple[Stem, ...]) -> None:
    """Every stem a record's candidates name is in ``state`` or ``extra``: a version never names a
    stem that is not stored with it."""
    missing = record.candidate_hashes() - {s.hash for s in (*state.stems, *extra)}
    if missing:
        raise StoreError(f"v{record.version}'s candidates name stems that were not given to store: "
                         f"{', '.join(sorted(missing)[:5])}")


def conflict(session_id: str, head: int, base: int) -> VersionConflict:
    """The error every store raises when a commit's base is no longer the head."""
    return VersionConflict(f"Session {session_id!r} is at version {head}; this change was built on "
                           f"version {base}. Reload the session and run the command again.", head=head, base=base)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_info (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE TABLE IF NOT EXISTS stems (
    hash TEXT PRIMARY KEY,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    version INTEGER NOT NULL,
    parent INTEGER,
    command TEXT NOT NULL,
    agents TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seed INTEGER NOT NULL,
    meta TEXT NOT NULL,
    stems TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'edit',
    restores INTEGER,
    details TEXT,
    PRIMARY KEY (session_id, version)
);
CREATE INDEX IF NOT EXISTS sessions_owner ON sessions(owner);
"""


def _migrate_to_typed_history(db: sqlite3.Connection) -> None:
    """Schema 1 -> 2: each version gets its ``kind`` and ``restores``. Schema 1 said them only in
    words (the summaries and commands history versions were written with), so they are read from
    those words once, here, and never again."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(versions)")}
    if "kind" not in columns:
        db.execute("ALTER TABLE versions ADD COLUMN kind TEXT NOT NULL DEFAULT 'edit'")
    if "restores" not in columns:
        db.execute("ALTER TABLE versions ADD COLUMN restores INTEGER")
    db.execute("UPDATE versions SET kind = 'create' WHERE parent IS NULL")
    history = "agents = '[\"history\"]' AND parent IS NOT NULL"
    for kind, where in (("undo", "summary LIKE 'undo:%'"), ("redo", "summary LIKE 'redo:%'"),
                        ("goto", "summary LIKE 'back to the content of v%'"), ("rollback", "kind = 'edit'")):
        db.execute(f"UPDATE versions SET kind = ?, restores = parent WHERE {history} AND kind = 'edit' AND {where}",
                   (kind,))
    db.execute("UPDATE schema_info SET version = 2")


def _migrate_to_details(db: sqlite3.Connection) -> None:
    """Schema 2 -> 3: each version may hold ``details`` (a variations version's candidates); the
    versions before have none."""
    if "details" not in {row[1] for row in db.execute("PRAGMA table_info(versions)")}:
        db.execute("ALTER TABLE versions ADD COLUMN details TEXT")
    db.execute("UPDATE schema_info SET version = 3")


#: ``(schema version, the step from the one before to it)``, in order: a later schema is one more entry.
_MIGRATIONS = ((2, _migrate_to_typed_history), (3, _migrate_to_details))


class SQLiteStore:
    """The embedded default store: one SQLite file in WAL mode.

    Safe to share between threads (one connection per thread) and between processes
    (SQLite's file locks; writers wait up to ``timeout`` seconds).

    >>> import tempfile, os
    >>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "s.db"))
    >>> store.list_sessions()
    []
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0, migrate: bool = True) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._local = threading.local()
        self._writing = (os.getpid(), threading.RLock())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if migrate:
            self.migrate()

    def migrate(self) -> tuple[int | None, int]:
        """Create or upgrade the schema, in one transaction; return ``(schema found, schema now)``.
        Idempotent: on a store already at :data:`SCHEMA_VERSION` it changes nothing."""
        with self.transaction() as db:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            row = db.execute("SELECT version FROM schema_info").fetchone()
            if row is None:
                db.execute("INSERT INTO schema_info VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] > SCHEMA_VERSION:
                raise StoreError(f"{self.path} has schema {row[0]}; this build reads {SCHEMA_VERSION}.")
            else:
                for version, step in _MIGRATIONS:
                    if version > row[0]:
                        step(db)
        return (None if row is None else row[0]), SCHEMA_VERSION

    @property
    def url(self) -> str:
        """The ``ORCHESTRIA_DATABASE_URL`` of this store (``sqlite:////abs/path`` for an absolute path)."""
        return f"sqlite:///{self.path}"

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def close(self) -> None:
        """Close this thread's connection (the next call opens another)."""
        db = getattr(self._local, "db", None)
        if db is not None and getattr(self._local, "pid", None) == os.getpid():
            db.close()
        self._local.db = None

    # connections -----------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; transactions are explicit)."""
        db = getattr(self._local, "db", None)
        if db is None or getattr(self._local, "pid", None) != os.getpid():
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                 check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            self._local.db, self._local.pid = db, os.getpid()
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``: writers are serialised, readers are not blocked.

        The writers of one process queue on a lock of their own first, and the file lock is left
        to the other processes: SQLite's busy handler waits for it in sleeps of up to 100 ms, so
        threads of a busy server that all met the file lock would wait far longer than it is held.
        """
        if self._writing[0] != os.getpid():  # a forked child: the parent's threads are not here
            self._writing = (os.getpid(), threading.RLock())
        writing = self._writing[1]
        if not writing.acquire(timeout=self.timeout):
            raise StoreError(f"The store {self.path} is busy: this process's other writers held it for "
                             f"{self.timeout:g} s")
        try:
            db = self.connection()
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"The store {self.path} is busy or unwritable: {exc}") from exc
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            else:
                db.execute("COMMIT")
        finally:
            writing.release()

    # writes ----------------------------------------------------------------------------
    def create_session(self, session_id: str, state: State, record: VersionRecord, *,
                       owner: str | None = None) -> None:
        with self.transaction() as db:
            try:
                db.execute(SQLITE.insert_session, (session_id, owner, record.created_at, None))
            except SQLITE.duplicate as exc:
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
            head = self._head(db, session_id)
            if head != base:
                raise conflict(session_id, head, base)
            self._write_version(db, session_id, record, state, extra)

    def _write_version(self, db: sqlite3.Connection, session_id: str, record: VersionRecord,
                       state: State, extra: tuple[Stem, ...] = ()) -> None:
        db.executemany(SQLITE.insert_stem, [(s.hash, _pack(s.to_dict(with_hashes=False))) for s in (*state.stems, *extra)])
        db.execute(SQLITE.insert_version, (session_id, *record.row(state)))

    def close_session(self, session_id: str, closed_at: str) -> None:
        with self.transaction() as db:
            self._require(db, session_id)
            db.execute("UPDATE sessions SET closed_at = COALESCE(closed_at, ?) WHERE id = ?",
                       (closed_at, session_id))

    # reads -----------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every statement inside sees the same committed database."""
        db = self.connection()
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    def snapshot(self, session_id: str, *, after: int = -1) -> tuple[list[VersionRecord], State | None]:
        """The records of the versions after ``after`` and the head's state, read together.

        ``([], None)`` when nothing came after ``after``. Records and state always belong to
        the same head, however many writers append meanwhile.
        """
        with self._read() as db:
            records = self._records(db, session_id, after)
            if not records:
                self._head(db, session_id)  # NotFound for an unknown session
                return [], None
            return records, self._load_state(db, session_id, records[-1].version)

    def head(self, session_id: str) -> int:
        return self._head(self.connection(), session_id)

    def _head(self, db: sqlite3.Connection, session_id: str) -> int:
        row = db.execute("SELECT MAX(version) FROM versions WHERE session_id = ?", (session_id,)).fetchone()
        if row[0] is None:
            raise NotFound("session", session_id)
        return int(row[0])

    def _require(self, db: sqlite3.Connection, session_id: str) -> None:
        if db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
            raise NotFound("session", session_id)

    def load_state(self, session_id: str, version: int) -> State:
        with self._read() as db:
            return self._load_state(db, session_id, version)

    def _load_state(self, db: sqlite3.Connection, session_id: str, version: int) -> State:
        row = db.execute("SELECT meta, stems FROM versions WHERE session_id = ? AND version = ?",
                         (session_id, int(version))).fetchone()
        if row is None:
            head = self._head(db, session_id)
            raise NotFound("version", version, [str(v) for v in range(head + 1)][-20:])
        hashes = json.loads(row[1])
        payloads = dict(db.execute(
            f"SELECT hash, payload FROM stems WHERE hash IN ({','.join('?' * len(hashes))})", hashes
        ).fetchall()) if hashes else {}
        try:
            stems = tuple(Stem.from_dict(_unpack(payloads[h])) for h in hashes)
        except KeyError as exc:
            raise StoreError(f"Stem {exc} of {session_id} v{version} is missing from {self.path}.") from exc
        return State(Meta(**json.loads(row[0])), stems)

    def load_stems(self, hashes: list[str]) -> tuple[Stem, ...]:
        """The stems stored under ``hashes``, in that order (a StoreError names any that are not)."""
        with self._read() as db:
            payloads = dict(db.execute(f"SELECT hash, payload FROM stems WHERE hash IN ({','.join('?' * len(hashes))})",
                                       list(hashes)).fetchall()) if hashes else {}
        try:
            return tuple(Stem.from_dict(_unpack(payloads[h])) for h in hashes)
        except KeyError as exc:
            raise StoreError(f"Stem {exc} is missing from {self.path}.") from exc

    def records(self, session_id: str) -> list[VersionRecord]:
        records = self._records(self.connection(), session_id, -1)
        if not records:
            raise NotFound("session", session_id)
        return records

    def _records(self, db: sqlite3.Connection, session_id: str, after: int) -> list[VersionRecord]:
        rows = db.execute(SQLITE.select_records, (session_id, int(after))).fetchall()
        return [VersionRecord.from_row(row) for row in rows]

    def session_info(self, session_id: str) -> dict[str, Any]:
        row = self.connection().execute(
            "SELECT id, owner, created_at, closed_at FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise NotFound("session", session_id)
        return dict(zip(("id", "owner", "created_at", "closed_at"), row, strict=True))

    def list_sessions(self, *, owner: str | None = None, open_only: bool = False) -> list[str]:
        sql, args = "SELECT id FROM sessions WHERE 1=1", []
        if owner is not None:
            sql += " AND owner = ?"
            args.append(owner)
        if open_only:
            sql += " AND closed_at IS NULL"
        return [r[0] for r in self.connection().execute(sql + " ORDER BY created_at, id", args)]

    def stats(self) -> dict[str, int]:
        """Row counts, for tests and the curious: storage grows with what changed."""
        db = self.connection()
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("sessions", "versions", "stems")}

    # whole sessions, between stores ----------------------------------------------------------
    def export_session(self, session_id: str) -> SessionRows:
        """The session as stored, in one read (see :class:`SessionRows`)."""
        with self._read() as db:
            row = db.execute("SELECT id, owner, created_at, closed_at FROM sessions WHERE id = ?",
                             (session_id,)).fetchone()
            if row is None:
                raise NotFound("session", session_id)
            versions = tuple(db.execute(SQLITE.select_versions, (session_id,)).fetchall())
            rows = SessionRows(row, versions, {})
            hashes = sorted(rows.stem_hashes())
            for i in range(0, len(hashes), 500):
                chunk = hashes[i:i + 500]
                rows.stems.update(db.execute(f"SELECT hash, payload FROM stems WHERE hash IN "
                                             f"({','.join('?' * len(chunk))})", chunk).fetchall())
            return rows

    def import_sessions(self, sessions: Iterable[SessionRows]) -> list[str]:
        """Write whole sessions as they were stored elsewhere, all in one transaction; return their ids.
        A session id already here is refused with a StoreError, and then nothing is written."""
        done = []
        with self.transaction() as db:
            for rows in sessions:
                try:
                    db.execute(SQLITE.insert_session, rows.session)
                except SQLITE.duplicate as exc:
                    raise StoreError(f"Session {rows.id!r} is already in {self.url}: nothing was copied.",
                                     session=rows.id) from exc
                db.executemany(SQLITE.insert_stem, rows.stems.items())
                db.executemany(SQLITE.insert_version, [(rows.id, *version) for version in rows.versions])
                done.append(rows.id)
        return done


def _pack(obj: Any) -> bytes:
    return zlib.compress(json.dumps(obj, separators=(",", ":")).encode(), 6)


def _unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


_SQLITE = "sqlite:///"
_POSTGRES = ("postgresql://", "postgres://")


def open_store(url: str, *, migrate: bool = True) -> Store:
    """A new store for ``url``: ``sqlite:///PATH`` (``sqlite:////abs/path`` for an absolute path, as
    SQLAlchemy writes it) or ``postgresql://USER:PASSWORD@HOST:PORT/DB``. ``migrate`` creates or
    upgrades the schema first (``orchestria db migrate`` does it on purpose).

    >>> import tempfile, os
    >>> open_store("sqlite:///" + os.path.join(tempfile.mkdtemp(), "u.db")).list_sessions()
    []
    >>> open_store("mysql://db/x")
    Traceback (most recent call last):
    ...
    orchestria_lab.errors.InvalidValue: database URL='mysql://db/x' is not valid: expected ...
    """
    if url.startswith(_SQLITE) and len(url) > len(_SQLITE):
        return SQLiteStore(url[len(_SQLITE):], migrate=migrate)
    if url.startswith(_POSTGRES):
        try:
            from orchestria_lab.session.postgres import PostgresStore
        except ImportError as exc:
            raise StoreError(f"A postgresql:// database needs psycopg 3 and psycopg_pool ({exc}): "
                             "pip install 'orchestria-lab[scale]'.") from exc
        return PostgresStore(url, migrate=migrate)
    raise InvalidValue("database URL", redact(url), "sqlite:///PATH (the default, ORCHESTRIA_DB) or "
                       "postgresql://USER@HOST:PORT/DB, as ORCHESTRIA_DATABASE_URL")


def redact(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``: safe to print.

    >>> redact("postgresql://ana:s3cret@db.example:5432/studio")
    'postgresql://ana:***@db.example:5432/studio'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def default_store() -> Store:
    """The store :func:`~orchestria_lab.paths.database_url` names (one instance per URL and process):
    SQLite at :func:`default_db_path` unless ``ORCHESTRIA_DATABASE_URL`` says otherwise."""
    url = database_url()
    if url.startswith(_SQLITE):
        url = _SQLITE + str(default_db_path().resolve())
    with _STORES_LOCK:
        if url not in _STORES:
            _STORES[url] = open_store(url)
        return _STORES[url]
