"""The preview's limits, counted in the shared database so they hold across processes.

- requests a minute per key: a sliding window of one-second buckets;
- open sessions per account: counted with the claims of sessions being created;
- exports a day per account: a counter per UTC day, given back if the export fails.

Each check-and-count is one ``BEGIN IMMEDIATE`` transaction, so two servers on one
database can never both take the last slot.

>>> import tempfile, os
>>> from orchestria_lab.session.store import SQLiteStore
>>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "l.db"))
>>> from orchestria_lab.server.tables import ensure_tables
>>> ensure_tables(store)
>>> [consume_request(store, "key_1", 2, now=100.0).remaining for _ in range(2)]
[1, 0]
>>> consume_request(store, "key_1", 2, now=130.5)
Traceback (most recent call last):
...
orchestria_lab.server.errors.RateLimited: Over the limit of 2 requests a minute per key. Wait, or ask for a higher limit. Retry after 30 s.
>>> consume_request(store, "key_1", 2, now=160.0).remaining
1
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from orchestria_lab.server.errors import RateLimited
from orchestria_lab.session.store import SQLiteStore

WINDOW_S = 60
#: A claim older than this belongs to a create that crashed; it no longer holds a slot.
CLAIM_TTL_S = 120


@dataclass(frozen=True)
class Allowance:
    """What is left of a limit after this request."""

    limit: int
    remaining: int


def consume_request(store: SQLiteStore, key_id: str, limit: int, *, now: float | None = None) -> Allowance:
    """Count one request of ``key_id``; :class:`RateLimited` if ``limit`` were passed in 60 s."""
    now = time.time() if now is None else now
    second = int(now)
    with store.transaction() as db:
        db.execute("DELETE FROM rate_buckets WHERE key_id = ? AND second <= ?", (key_id, second - WINDOW_S))
        used, oldest = db.execute(
            "SELECT COALESCE(SUM(count), 0), MIN(second) FROM rate_buckets WHERE key_id = ?",
            (key_id,)).fetchone()
        if used >= limit:
            raise RateLimited("requests a minute per key", limit=limit, remaining=0,
                              retry_after=max(1, math.ceil(oldest + WINDOW_S - now)),
                              hint="Wait, or ask for a higher limit.")
        db.execute("INSERT INTO rate_buckets (key_id, second, count) VALUES (?, ?, 1) "
                   "ON CONFLICT (key_id, second) DO UPDATE SET count = count + 1", (key_id, second))
    return Allowance(limit, limit - used - 1)


@contextmanager
def open_session_slot(store: SQLiteStore, account: str, limit: int) -> Iterator[None]:
    """Hold one of ``account``'s ``limit`` open-session slots while a session is created.

    The claim counts like an open session until the block ends, when the session itself
    (if it was made) takes over; so concurrent creates can never pass the limit.
    """
    claim, now = secrets.token_hex(8), time.time()
    with store.transaction() as db:
        db.execute("DELETE FROM session_claims WHERE at < ?", (now - CLAIM_TTL_S,))
        open_now = len(store.list_sessions(owner=account, open_only=True))
        claims = db.execute("SELECT COUNT(*) FROM session_claims WHERE account = ?", (account,)).fetchone()[0]
        if open_now + claims >= limit:
            raise RateLimited("open sessions per account", limit=limit, retry_after=WINDOW_S, open=open_now,
                              hint="Close one with DELETE /v1/sessions/{id} to free a slot.")
        db.execute("INSERT INTO session_claims (claim_id, account, at) VALUES (?, ?, ?)", (claim, account, now))
    try:
        yield
    finally:
        with store.transaction() as db:
            db.execute("DELETE FROM session_claims WHERE claim_id = ?", (claim,))


@contextmanager
def export_allowance(store: SQLiteStore, account: str, limit: int, *,
                     now: datetime | None = None) -> Iterator[Allowance]:
    """Count one export of ``account`` today (UTC); given back if the block raises."""
    now = datetime.now(UTC) if now is None else now
    day = now.date().isoformat()
    with store.transaction() as db:
        row = db.execute("SELECT count FROM export_quota WHERE account = ? AND day = ?", (account, day)).fetchone()
        used = row[0] if row else 0
        if used >= limit:
            midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
            raise RateLimited("exports a day per account", limit=limit,
                              retry_after=max(1, math.ceil((midnight - now).total_seconds())),
                              hint="The count starts again at 00:00 UTC.")
        db.execute("INSERT INTO export_quota (account, day, count) VALUES (?, ?, 1) "
                   "ON CONFLICT (account, day) DO UPDATE SET count = count + 1", (account, day))
    try:
        yield Allowance(limit, limit - used - 1)
    except BaseException:
        with store.transaction() as db:
            db.execute("UPDATE export_quota SET count = count - 1 WHERE account = ? AND day = ?", (account, day))
        raise
