"""The service's tables in the sessions' SQLite file: :class:`SQLiteServiceStore`.

Every write is one ``BEGIN IMMEDIATE`` transaction of the session store, so the writers of every
process on the file run one at a time and each check-and-count is atomic.

>>> import tempfile, os
>>> from orchestria_lab.session.store import SQLiteStore
>>> service = SQLiteServiceStore(SQLiteStore(os.path.join(tempfile.mkdtemp(), "t.db")))
>>> service.migrate(), service.migrate()
((None, 1), (1, 1))
>>> names = {r[0] for r in service.store.connection().execute("SELECT name FROM sqlite_master")}
>>> set(SERVICE_TABLES) <= names
True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orchestria_lab.errors import StoreError
from orchestria_lab.session.service import (
    SERVICE_SCHEMA_VERSION,
    SERVICE_TABLES,
    SQLService,
    split_statements,
)
from orchestria_lab.session.store import SQLiteStore

__all__ = ["SERVICE_TABLES", "SQLiteServiceStore"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS service_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(name),
    hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS rate_buckets (
    key_id TEXT NOT NULL,
    second INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key_id, second)
);
CREATE TABLE IF NOT EXISTS session_claims (
    claim_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS export_quota (
    account TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (account, day)
);
CREATE TABLE IF NOT EXISTS exports (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    session_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    format TEXT NOT NULL,
    created_at TEXT NOT NULL,
    files TEXT NOT NULL,
    expires_at TEXT
);
CREATE TABLE IF NOT EXISTS server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS running_commands (
    session_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    started REAL NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at REAL NOT NULL,
    status INTEGER,
    headers TEXT,
    body BLOB,
    PRIMARY KEY (account, key)
);
CREATE INDEX IF NOT EXISTS api_keys_account ON api_keys(account);
CREATE INDEX IF NOT EXISTS session_claims_account ON session_claims(account);
CREATE INDEX IF NOT EXISTS running_commands_account ON running_commands(account);
CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys(created_at);
"""


class SQLiteServiceStore(SQLService):
    """:class:`~orchestria_lab.session.service.ServiceStore` on a :class:`SQLiteStore`'s file and connections."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"SQLiteServiceStore({str(self.store.path)!r})"

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        yield self.store.connection()

    def _writing(self, lock: str | None = None) -> Any:
        return self.store.transaction()  # BEGIN IMMEDIATE: every writer in turn, whatever it locks

    def migrate(self) -> tuple[int | None, int]:
        """Create the tables, and bring those of older builds up to date (columns they lacked), in
        one transaction. Idempotent."""
        with self.store.transaction() as db:
            for statement in split_statements(SCHEMA):
                db.execute(statement)
            row = db.execute("SELECT version FROM service_schema").fetchone()
            found = None if row is None else int(row[0])
            if found is not None and found > SERVICE_SCHEMA_VERSION:
                raise StoreError(f"{self.store.path} has service schema {found}; this build reads "
                                 f"{SERVICE_SCHEMA_VERSION}.")
            if "expires_at" not in _columns(db, "exports"):  # exports made before they expired
                db.execute("ALTER TABLE exports ADD COLUMN expires_at TEXT")
            db.execute("UPDATE exports SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+7 days') "
                       "WHERE expires_at IS NULL")
            if "host" not in _columns(db, "running_commands"):  # claims made before they named their host
                db.execute("ALTER TABLE running_commands ADD COLUMN host TEXT NOT NULL DEFAULT ''")
            if found is None:
                db.execute("INSERT INTO service_schema VALUES (?)", (SERVICE_SCHEMA_VERSION,))
        return found, SERVICE_SCHEMA_VERSION


def _columns(db: Any, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
