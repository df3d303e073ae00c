"""What the REST service keeps besides sessions, behind one interface: :class:`ServiceStore`.

API keys, rate-limit windows, open-session claims, daily export counts, export records, running
commands, idempotency keys and server secrets live in the sessions' own database, so every server
process on it shares them. :func:`service_store` gives the service store of a session store (the same
database and connections): :class:`~orchestria_lab.session.service_sqlite.SQLiteServiceStore` or
:class:`~orchestria_lab.session.service_postgres.PostgresServiceStore`. ``server/`` holds no SQL;
it calls this interface and turns its answers into HTTP.

Each check-and-count is atomic across processes: one conditional upsert with ``RETURNING`` where
one statement suffices (a day's exports, a session's command slot, an idempotency key), else a
transaction serialised per key or account (SQLite's ``BEGIN IMMEDIATE``; a PostgreSQL advisory
transaction lock on PostgreSQL).

>>> import tempfile, os
>>> from orchestria_lab.session.store import SQLiteStore
>>> service = service_store(SQLiteStore(os.path.join(tempfile.mkdtemp(), "s.db")))
>>> [service.count_request("key_1", second=100, limit=2, window_s=60).allowed for _ in range(3)]
[True, True, False]
>>> service.count_request("key_1", second=100, limit=2, window_s=60)
Count(allowed=False, used=2, oldest=100)
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

#: Every table the service keeps (the sessions' tables are the session store's).
SERVICE_TABLES = ("accounts", "api_keys", "rate_buckets", "session_claims", "export_quota", "exports",
                  "server_secrets", "running_commands", "idempotency_keys")
#: The schema of those tables, counted apart from the session store's (``service_schema``).
SERVICE_SCHEMA_VERSION = 1

__all__ = ["SERVICE_SCHEMA_VERSION", "SERVICE_TABLES", "CommandClaim", "Count", "ExportRecord", "IdempotencyClaim",
           "KeyRow", "ServiceStore", "service_store"]


@dataclass(frozen=True)
class KeyRow:
    """One API key as stored: never the key, only its SHA-256."""

    key_id: str
    account: str
    hash: str
    created_at: str
    revoked_at: str | None = None


@dataclass(frozen=True)
class Count:
    """The answer of a limit's counter: ``allowed`` (this one was counted) and ``used`` (what the
    limit counts now, this one included when allowed); for a sliding window, ``oldest``, the first
    second still in it."""

    allowed: bool
    used: int
    oldest: int | None = None


@dataclass(frozen=True)
class CommandClaim:
    """A command running on a session: who started it, when, and which process (host and pid)."""

    session_id: str
    account: str
    started: float
    host: str
    pid: int


@dataclass(frozen=True)
class IdempotencyClaim:
    """What the store said of an ``Idempotency-Key``: ``new`` (run it), ``replay`` (the first answer
    is here), ``in_progress`` or ``mismatch`` (the key came with another request)."""

    kind: Literal["new", "replay", "in_progress", "mismatch"]
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass(frozen=True)
class ExportRecord:
    """One export: which session, version and format, and its files (name, bytes)."""

    id: str
    account: str
    session_id: str
    version: int
    format: str
    created_at: str
    files: tuple[tuple[str, int], ...]
    expires_at: str = ""


class ServiceStore(Protocol):
    """The service's records. Times are Unix seconds (``float``) or ISO strings in UTC, as named."""

    def migrate(self) -> tuple[int | None, int]:
        """Create or upgrade the service tables; ``(schema found, schema now)``. Idempotent."""
        ...

    # keys
    def add_key(self, key: KeyRow) -> None: ...
    def key(self, key_id: str) -> KeyRow | None: ...
    def keys(self, *, account: str | None = None) -> list[KeyRow]: ...
    def revoke_key(self, key_id: str, at: str) -> bool: ...
    # limits
    def count_request(self, key_id: str, *, second: int, limit: int, window_s: int) -> Count: ...
    def claim_session_slot(self, claim_id: str, account: str, *, at: float, limit: int, ttl_s: float) -> Count: ...
    def release_session_slot(self, claim_id: str) -> None: ...
    def count_export(self, account: str, day: str, *, limit: int) -> Count: ...
    def uncount_export(self, account: str, day: str) -> None: ...
    # commands running
    def claim_command(self, claim: CommandClaim, *, per_account: int, stale_before: float) -> list[CommandClaim]: ...
    def release_command(self, session_id: str, started: float) -> None: ...
    def running_commands(self) -> list[CommandClaim]: ...
    # idempotency keys
    def claim_request_key(self, account: str, key: str, fingerprint: str, *, now: float, ttl_s: float,
                          stale_s: float) -> IdempotencyClaim: ...
    def keep_answer(self, account: str, key: str, status: int, headers: list[tuple[str, str]], body: bytes) -> None: ...
    def release_request_key(self, account: str, key: str) -> None: ...
    # exports
    def add_export(self, record: ExportRecord) -> None: ...
    def export(self, export_id: str, account: str, *, now: str) -> ExportRecord | None: ...
    def exports_to_drop(self, *, now: str, session_id: str | None = None) -> list[str]: ...
    def delete_exports(self, export_ids: Sequence[str]) -> None: ...
    # secrets
    def secret(self, name: str) -> str | None: ...
    def drop_secret(self, name: str) -> None: ...


_MIGRATED: weakref.WeakSet = weakref.WeakSet()
_MIGRATING = threading.Lock()


def service_store(store: Any, *, migrate: bool = True) -> ServiceStore:
    """The service store over ``store``'s database (SQLite or PostgreSQL), its tables made on first
    use in this process unless ``migrate`` is False (``orchestria db migrate`` makes them on purpose)."""
    from orchestria_lab.session.store import SQLiteStore

    if isinstance(store, SQLiteStore):
        from orchestria_lab.session.service_sqlite import SQLiteServiceStore

        service: ServiceStore = SQLiteServiceStore(store)
    else:
        from orchestria_lab.session.postgres import PostgresStore
        from orchestria_lab.session.service_postgres import PostgresServiceStore

        if not isinstance(store, PostgresStore):
            raise TypeError(f"no service store for {store!r}: a SQLiteStore or a PostgresStore")
        service = PostgresServiceStore(store)
    if migrate and store not in _MIGRATED:
        with _MIGRATING:
            if store not in _MIGRATED:
                service.migrate()
                _MIGRATED.add(store)
    return service


# the implementation both backends share --------------------------------------------------
_KEY_COLUMNS = "key_id, account, hash, created_at, revoked_at"
_CLAIM_COLUMNS = "session_id, account, started, host, pid"
_EXPORT_COLUMNS = "e.id, e.account, e.session_id, e.version, e.format, e.created_at, e.files, e.expires_at"


class SQLService:
    """:class:`ServiceStore` in SQL both SQLite and PostgreSQL run, written once with ``?`` parameters.
    A backend says how to read (:meth:`_reading`), how to write serialised on a name
    (:meth:`_writing`) and how to make its tables (:meth:`migrate`)."""

    def _reading(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _writing(self, lock: str | None = None) -> AbstractContextManager[Any]:
        """A transaction; writers naming the same ``lock`` run one at a time, in every process."""
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql

    def _run(self, db: Any, sql: str, args: Sequence[Any] = ()) -> Any:
        return db.execute(self._sql(sql), tuple(args))

    # keys -----------------------------------------------------------------------------
    def add_key(self, key: KeyRow) -> None:
        with self._writing() as db:
            self._run(db, "INSERT INTO accounts (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                      (key.account, key.created_at))
            self._run(db, "INSERT INTO api_keys (key_id, account, hash, created_at) VALUES (?, ?, ?, ?)",
                      (key.key_id, key.account, key.hash, key.created_at))

    def key(self, key_id: str) -> KeyRow | None:
        with self._reading() as db:
            row = self._run(db, f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        return None if row is None else KeyRow(*row)

    def keys(self, *, account: str | None = None) -> list[KeyRow]:
        sql, args = f"SELECT {_KEY_COLUMNS} FROM api_keys", ()
        if account is not None:
            sql, args = sql + " WHERE account = ?", (account,)
        with self._reading() as db:
            return [KeyRow(*row) for row in self._run(db, sql + " ORDER BY created_at, key_id", args).fetchall()]

    def revoke_key(self, key_id: str, at: str) -> bool:
        with self._writing() as db:
            return self._run(db, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ?",
                             (at, key_id)).rowcount > 0

    # limits ---------------------------------------------------------------------------
    def count_request(self, key_id: str, *, second: int, limit: int, window_s: int) -> Count:
        """Count a request of ``key_id`` at ``second`` unless the ``window_s`` seconds up to it already
        hold ``limit``: one-second buckets, those that left the window dropped once a second (when a
        request opens a new bucket). Two statements a request, under the key's write lock: every
        request pays this, and on a busy server each statement waits its turn."""
        start = second - window_s
        with self._writing(f"rate:{key_id}") as db:
            used, oldest = self._run(db, "SELECT COALESCE(SUM(count), 0), MIN(second) FROM rate_buckets "
                                         "WHERE key_id = ? AND second > ?", (key_id, start)).fetchone()
            used, oldest = int(used), None if oldest is None else int(oldest)
            if used >= limit:
                return Count(False, used, oldest)
            (made,) = self._run(
                db, "INSERT INTO rate_buckets (key_id, second, count) VALUES (?, ?, 1) "
                    "ON CONFLICT (key_id, second) DO UPDATE SET count = rate_buckets.count + 1 RETURNING count",
                (key_id, second)).fetchone()
            if made == 1:
                self._run(db, "DELETE FROM rate_buckets WHERE key_id = ? AND second <= ?", (key_id, start))
        return Count(True, used + 1, second if oldest is None else min(oldest, second))

    def claim_session_slot(self, claim_id: str, account: str, *, at: float, limit: int, ttl_s: float) -> Count:
        """Claim one of ``account``'s ``limit`` open-session slots: open sessions and live claims (younger
        than ``ttl_s``) count. ``used`` is what they count, the claim included when allowed."""
        with self._writing(f"sessions:{account}") as db:
            self._run(db, "DELETE FROM session_claims WHERE at < ?", (at - ttl_s,))
            used = self._run(db, "SELECT (SELECT COUNT(*) FROM sessions WHERE owner = ? AND closed_at IS NULL) + "
                                 "(SELECT COUNT(*) FROM session_claims WHERE account = ?)",
                             (account, account)).fetchone()[0]
            if used >= limit:
                return Count(False, int(used))
            self._run(db, "INSERT INTO session_claims (claim_id, account, at) VALUES (?, ?, ?)", (claim_id, account, at))
        return Count(True, int(used) + 1)

    def release_session_slot(self, claim_id: str) -> None:
        with self._writing() as db:
            self._run(db, "DELETE FROM session_claims WHERE claim_id = ?", (claim_id,))

    def count_export(self, account: str, day: str, *, limit: int) -> Count:
        """Count an export of ``account`` on ``day`` unless ``limit`` are counted: one upsert."""
        with self._writing() as db:
            row = self._run(db, "INSERT INTO export_quota (account, day, count) VALUES (?, ?, 1) "
                                "ON CONFLICT (account, day) DO UPDATE SET count = export_quota.count + 1 "
                                "WHERE export_quota.count < ? RETURNING count", (account, day, limit)).fetchone()
        return Count(True, int(row[0])) if row is not None else Count(False, limit)

    def uncount_export(self, account: str, day: str) -> None:
        with self._writing() as db:
            self._run(db, "UPDATE export_quota SET count = count - 1 WHERE account = ? AND day = ? AND count > 0",
                      (account, day))

    # commands running ------------------------------------------------------------------
    def claim_command(self, claim: CommandClaim, *, per_account: int, stale_before: float) -> list[CommandClaim]:
        """Claim ``claim.session_id``'s one command slot and one of the account's ``per_account``; claims
        started before ``stale_before`` no longer count. Returns the claims in the way: none when
        claimed, the session's own when it is busy, else the account's."""
        with self._writing(f"commands:{claim.account}") as db:
            self._run(db, "DELETE FROM running_commands WHERE started < ?", (stale_before,))
            row = self._run(db, f"SELECT {_CLAIM_COLUMNS} FROM running_commands WHERE session_id = ?",
                            (claim.session_id,)).fetchone()
            if row is not None:
                return [CommandClaim(*row)]
            mine = [CommandClaim(*row) for row in self._run(
                db, f"SELECT {_CLAIM_COLUMNS} FROM running_commands WHERE account = ?", (claim.account,)).fetchall()]
            if len(mine) >= per_account:
                return mine
            taken = self._run(db, f"INSERT INTO running_commands ({_CLAIM_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
                                  "ON CONFLICT (session_id) DO NOTHING RETURNING session_id",
                              (claim.session_id, claim.account, claim.started, claim.host, claim.pid)).fetchone()
            if taken is not None:
                return []
            row = self._run(db, f"SELECT {_CLAIM_COLUMNS} FROM running_commands WHERE session_id = ?",
                            (claim.session_id,)).fetchone()
        # another account's command took the session meanwhile (or has let go already: the caller tries again)
        return [CommandClaim(*row)] if row is not None else [claim]

    def release_command(self, session_id: str, started: float) -> None:
        with self._writing() as db:
            self._run(db, "DELETE FROM running_commands WHERE session_id = ? AND started = ?", (session_id, started))

    def running_commands(self) -> list[CommandClaim]:
        """Every command claim held now."""
        with self._reading() as db:
            return [CommandClaim(*row) for row in self._run(
                db, f"SELECT {_CLAIM_COLUMNS} FROM running_commands ORDER BY started").fetchall()]

    # idempotency keys ------------------------------------------------------------------
    def claim_request_key(self, account: str, key: str, fingerprint: str, *, now: float, ttl_s: float,
                          stale_s: float) -> IdempotencyClaim:
        """Take ``key`` for ``account``'s request ``fingerprint``. Keys older than ``ttl_s`` are
        forgotten; a claim left running longer than ``stale_s`` is taken over."""
        with self._writing() as db:
            self._run(db, "DELETE FROM idempotency_keys WHERE created_at < ?", (now - ttl_s,))
            if self._run(db, "INSERT INTO idempotency_keys (account, key, fingerprint, created_at) "
                             "VALUES (?, ?, ?, ?) ON CONFLICT (account, key) DO NOTHING RETURNING key",
                         (account, key, fingerprint, now)).fetchone() is not None:
                return IdempotencyClaim("new")
            row = self._run(db, "SELECT fingerprint, status, headers, body FROM idempotency_keys "
                                "WHERE account = ? AND key = ?", (account, key)).fetchone()
            if row is None:  # forgotten between the two statements: the next try takes it
                return IdempotencyClaim("in_progress")
            kept, status, headers, body = row
            if kept != fingerprint:
                return IdempotencyClaim("mismatch")
            if status is not None:
                return IdempotencyClaim("replay", int(status), [tuple(h) for h in json.loads(headers)], bytes(body))
            taken = self._run(db, "UPDATE idempotency_keys SET created_at = ? WHERE account = ? AND key = ? "
                                  "AND status IS NULL AND created_at < ?", (now, account, key, now - stale_s))
            return IdempotencyClaim("new" if taken.rowcount else "in_progress")

    def keep_answer(self, account: str, key: str, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        with self._writing() as db:
            self._run(db, "UPDATE idempotency_keys SET status = ?, headers = ?, body = ? WHERE account = ? AND key = ?",
                      (status, json.dumps(headers), bytes(body), account, key))

    def release_request_key(self, account: str, key: str) -> None:
        with self._writing() as db:
            self._run(db, "DELETE FROM idempotency_keys WHERE account = ? AND key = ? AND status IS NULL",
                      (account, key))

    # exports --------------------------------------------------------------------------
    def add_export(self, record: ExportRecord) -> None:
        with self._writing() as db:
            self._run(db, "INSERT INTO exports (id, account, session_id, version, format, created_at, files, "
                          "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (record.id, record.account, record.session_id, record.version, record.format,
                       record.created_at, json.dumps(record.files), record.expires_at))

    def export(self, export_id: str, account: str, *, now: str) -> ExportRecord | None:
        """``account``'s export ``export_id`` if its session is open and it has not expired by ``now``."""
        with self._reading() as db:
            row = self._run(db, f"SELECT {_EXPORT_COLUMNS} FROM exports e JOIN sessions s ON s.id = e.session_id "
                                "WHERE e.id = ? AND e.account = ? AND s.closed_at IS NULL AND e.expires_at > ?",
                            (export_id, account, now)).fetchone()
        if row is None:
            return None
        files = tuple((name, size) for name, size in json.loads(row[6]))
        return ExportRecord(*row[:6], files=files, expires_at=row[7])

    def exports_to_drop(self, *, now: str, session_id: str | None = None) -> list[str]:
        """The exports expired by ``now`` or whose session is closed or gone; only ``session_id``'s when given."""
        where, args = "e.expires_at <= ? OR s.closed_at IS NOT NULL OR s.id IS NULL", (now,)
        if session_id is not None:
            where, args = "e.session_id = ?", (session_id,)
        with self._reading() as db:
            return [r[0] for r in self._run(
                db, f"SELECT e.id FROM exports e LEFT JOIN sessions s ON s.id = e.session_id WHERE {where} "
                    "ORDER BY e.id", args).fetchall()]

    def delete_exports(self, export_ids: Sequence[str]) -> None:
        with self._writing() as db:
            for export_id in export_ids:
                self._run(db, "DELETE FROM exports WHERE id = ?", (export_id,))

    # secrets --------------------------------------------------------------------------
    def secret(self, name: str) -> str | None:
        with self._reading() as db:
            row = self._run(db, "SELECT value FROM server_secrets WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    def drop_secret(self, name: str) -> None:
        with self._writing() as db:
            self._run(db, "DELETE FROM server_secrets WHERE name = ?", (name,))


def split_statements(script: str) -> Iterator[str]:
    """The statements of a schema script, one at a time."""
    return (s for s in (part.strip() for part in script.split(";")) if s)
