"""The service's tables in the sessions' PostgreSQL database: :class:`PostgresServiceStore`.

It runs on the :class:`~orchestria_lab.session.postgres.PostgresStore`'s connection pool. Where a
check reads several rows before it counts (a rate window, an account's open sessions or running
commands), the transaction first takes a PostgreSQL advisory transaction lock named by the key or
account, so the servers on one database count one at a time per key and never both take the last
slot; the other counts are single upserts with ``RETURNING``, atomic by themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orchestria_lab.errors import StoreError
from orchestria_lab.session.postgres import PostgresStore
from orchestria_lab.session.service import SERVICE_SCHEMA_VERSION, SERVICE_TABLES, SQLService
from orchestria_lab.session.store import redact

__all__ = ["SERVICE_TABLES", "PostgresServiceStore"]

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
    second BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (key_id, second)
);
CREATE TABLE IF NOT EXISTS session_claims (
    claim_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS export_quota (
    account TEXT NOT NULL,
    day TEXT NOT NULL,
    count BIGINT NOT NULL,
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
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS running_commands (
    session_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    started DOUBLE PRECISION NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    status INTEGER,
    headers TEXT,
    body BYTEA,
    PRIMARY KEY (account, key)
);
CREATE INDEX IF NOT EXISTS api_keys_account ON api_keys(account);
CREATE INDEX IF NOT EXISTS session_claims_account ON session_claims(account);
CREATE INDEX IF NOT EXISTS running_commands_account ON running_commands(account);
CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys(created_at);
CREATE INDEX IF NOT EXISTS exports_session ON exports(session_id);
"""

#: ``(service schema version, SQL that brings it from the one before)``, in order.
MIGRATIONS: tuple[tuple[int, str], ...] = ((1, SCHEMA),)
#: The advisory lock that lets one process at a time migrate the service tables.
_MIGRATION_LOCK = 0x6F72632D73657276  # "orc-serv"


class PostgresServiceStore(SQLService):
    """:class:`~orchestria_lab.session.service.ServiceStore` on a :class:`PostgresStore`'s database and pool."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"PostgresServiceStore({redact(self.store.url)!r})"

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _reading(self) -> Any:
        return self.store.connection()

    @contextmanager
    def _writing(self, lock: str | None = None) -> Iterator[Any]:
        with self.store.transaction() as db:
            if lock is not None:
                db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock,))
            yield db

    def migrate(self) -> tuple[int | None, int]:
        """Apply the :data:`MIGRATIONS` the database lacks, in one transaction, under an advisory lock
        (several processes may start at once). Idempotent."""
        with self.store.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS service_schema (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM service_schema").fetchone()
            found = None if row is None else int(row[0])
            if found is not None and found > SERVICE_SCHEMA_VERSION:
                raise StoreError(f"{redact(self.store.url)} has service schema {found}; this build reads "
                                 f"{SERVICE_SCHEMA_VERSION}.")
            for version, sql in MIGRATIONS:
                if found is None or version > found:
                    db.execute(sql)
            if found is None:
                db.execute("INSERT INTO service_schema VALUES (%s)", (SERVICE_SCHEMA_VERSION,))
            elif found < SERVICE_SCHEMA_VERSION:
                db.execute("UPDATE service_schema SET version = %s", (SERVICE_SCHEMA_VERSION,))
        return found, SERVICE_SCHEMA_VERSION
