"""The preview's limits, counted in the shared database so they hold across processes.

- requests a minute per key: a sliding window of one-second buckets;
- open sessions per account: counted with the claims of sessions being created;
- exports a day per account: a counter per UTC day, given back if the export fails.

Each check-and-count is atomic in the service store (SQLite or PostgreSQL), so two servers on
one database can never both take the last slot.

>>> import tempfile, os
>>> from orchestria_lab.session.store import SQLiteStore
>>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "l.db"))
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
from orchestria_lab.server.tables import ensure_tables
from orchestria_lab.session.store import Store

WINDOW_S = 60
#: A claim older than this belongs to a create that crashed; it no longer holds a slot.
CLAIM_TTL_S = 120


@dataclass(frozen=True)
class Allowance:
    """What is left of a limit after this request."""

    limit: int
    remaining: int


def consume_request(store: Store, key_id: str, limit: int, *, now: float | None = None) -> Allowance:
    """Count one request of ``key_id``; :class:`RateLimited` if ``limit`` were passed in 60 s."""
    now = time.time() if now is None else now
    counted = ensure_tables(store).count_request(key_id, second=int(now), limit=limit, window_s=WINDOW_S)
    if not counted.allowed:
        oldest = int(now) if counted.oldest is None else counted.oldest
        raise RateLimited("requests a minute per key", limit=limit, remaining=0,
                          retry_after=max(1, math.ceil(oldest + WINDOW_S - now)),
                          hint="Wait, or ask for a higher limit.")
    return Allowance(limit, limit - counted.used)


@contextmanager
def open_session_slot(store: Store, account: str, limit: int) -> Iterator[None]:
    """Hold one of ``account``'s ``limit`` open-session slots while a session is created.

    The claim counts like an open session until the block ends, when the session itself
    (if it was made) takes over; so concurrent creates can never pass the limit.
    """
    service = ensure_tables(store)
    claim = secrets.token_hex(8)
    counted = service.claim_session_slot(claim, account, at=time.time(), limit=limit, ttl_s=CLAIM_TTL_S)
    if not counted.allowed:
        raise RateLimited("open sessions per account", limit=limit, retry_after=WINDOW_S, open=counted.used,
                          hint="Close one with DELETE /v1/sessions/{id} to free a slot.")
    try:
        yield
    finally:
        service.release_session_slot(claim)


@contextmanager
def export_allowance(store: Store, account: str, limit: int, *,
                     now: datetime | None = None) -> Iterator[Allowance]:
    """Count one export of ``account`` today (UTC); given back if the block raises."""
    now = datetime.now(UTC) if now is None else now
    day = now.date().isoformat()
    service = ensure_tables(store)
    counted = service.count_export(account, day, limit=limit)
    if not counted.allowed:
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        raise RateLimited("exports a day per account", limit=limit,
                          retry_after=max(1, math.ceil((midnight - now).total_seconds())),
                          hint="The count starts again at 00:00 UTC.")
    try:
        yield Allowance(limit, limit - counted.used)
    except BaseException:
        service.uncount_export(account, day)
        raise
