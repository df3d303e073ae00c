"""The server's own tables, kept in the sessions' SQLite file.

Keys, limits and exports live beside the sessions so that several server processes on
one database share them: every check-and-count is one ``BEGIN IMMEDIATE`` transaction.

>>> import tempfile, os
>>> from orchestria_lab.session.store import SQLiteStore
>>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "t.db"))
>>> ensure_tables(store)
>>> names = {r[0] for r in store.connection().execute("SELECT name FROM sqlite_master")}
>>> set(SERVER_TABLES) <= names
True
"""

from __future__ import annotations

from orchestria_lab.server.idempotency import SCHEMA as IDEMPOTENCY_SCHEMA
from orchestria_lab.server.work import SCHEMA as WORK_SCHEMA
from orchestria_lab.session.store import SQLiteStore

SERVER_TABLES = ("accounts", "api_keys", "rate_buckets", "session_claims", "export_quota",
                 "exports", "server_secrets", "running_commands", "idempotency_keys")

_SCHEMA = """
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
CREATE INDEX IF NOT EXISTS api_keys_account ON api_keys(account);
CREATE INDEX IF NOT EXISTS session_claims_account ON session_claims(account);
"""


def ensure_tables(store: SQLiteStore) -> None:
    """Create the server tables if they are missing (idempotent, safe from many processes)."""
    with store.transaction() as db:
        for statement in filter(str.strip, (_SCHEMA + WORK_SCHEMA + IDEMPOTENCY_SCHEMA).split(";")):
            db.execute(statement)
        if "expires_at" not in {row[1] for row in db.execute("PRAGMA table_info(exports)")}:
            db.execute("ALTER TABLE exports ADD COLUMN expires_at TEXT")  # exports made before they expired
        db.execute("UPDATE exports SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+7 days') "
                   "WHERE expires_at IS NULL")
