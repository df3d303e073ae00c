"""Fair work: one command at a time per session, a few per account, in a bounded pool.

A command claims its session in the ``running_commands`` table (shared by every server
process on the database) before it runs, and gives the claim back when it ends. A second
command on the same session while one runs is **409** ``session_busy`` with ``Retry-After``;
an account with ``Settings.commands_per_account`` commands running gets **429**. A claim
older than :data:`STALE_S` (a process that died mid-command) no longer counts.

Commands and renders run on the app's work limiter (``Settings.work_threads`` threads),
apart from the request threads, so reads stay fast while heavy work queues; torch runs on one
thread there (:func:`~orchestria_lab.threads.one_thread`: its pool only spins against the other
work on a small machine). Nothing here touches the database from the event loop: a claim's
transaction may wait for the write lock, and the loop answers every other request meanwhile.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import Any, TypeVar

import anyio

from orchestria_lab.errors import OrchestriaError
from orchestria_lab.server.errors import RateLimited
from orchestria_lab.session.store import SQLiteStore
from orchestria_lab.threads import one_thread

T = TypeVar("T")
#: A claim this old is from a process that is gone (longer than any bounded command runs).
STALE_S = 300.0
#: What a busy session or account asks the client to wait, in seconds.
RETRY_AFTER_S = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS running_commands (
    session_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    started REAL NOT NULL,
    pid INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS running_commands_account ON running_commands(account);
"""


class SessionBusy(OrchestriaError):
    """A command on a session that is already running one."""

    code = "session_busy"
    status = 409

    def __init__(self, session_id: str) -> None:
        super().__init__(f"Session {session_id} is running a command; send this one when it is done "
                         f"(retry after {RETRY_AFTER_S} s). Nothing was changed.",
                         session_id=session_id, retry_after=RETRY_AFTER_S, retryable=True)
        self.retry_after = RETRY_AFTER_S


@contextmanager
def command_slot(store: SQLiteStore, session_id: str, account: str, *, per_account: int,
                 now: Callable[[], float] = time.time) -> Iterator[None]:
    """Hold ``session_id``'s one command slot (and one of ``account``'s) while the block runs."""
    started = now()
    with store.transaction() as db:
        db.execute("DELETE FROM running_commands WHERE started < ?", (started - STALE_S,))
        if db.execute("SELECT 1 FROM running_commands WHERE session_id = ?", (session_id,)).fetchone():
            raise SessionBusy(session_id)
        running = db.execute("SELECT COUNT(*) FROM running_commands WHERE account = ?", (account,)).fetchone()[0]
        if running >= per_account:
            raise RateLimited("commands running at once per account", limit=per_account,
                              retry_after=RETRY_AFTER_S, hint="Wait for one of your commands to finish.")
        db.execute("INSERT INTO running_commands (session_id, account, started, pid) VALUES (?, ?, ?, ?)",
                   (session_id, account, started, os.getpid()))
    try:
        yield
    finally:
        with store.transaction() as db:
            db.execute("DELETE FROM running_commands WHERE session_id = ? AND started = ?", (session_id, started))


@asynccontextmanager
async def claimed_slot(store: SQLiteStore, session_id: str, account: str, *,
                       per_account: int) -> AsyncIterator[None]:
    """:func:`command_slot` for a request: claimed before the command queues for a work thread
    (so a second command on the session is refused at once) and given back when the block ends,
    each in a request thread."""
    slot = command_slot(store, session_id, account, per_account=per_account)
    await anyio.to_thread.run_sync(slot.__enter__)
    try:
        yield
    finally:
        with anyio.CancelScope(shield=True):  # given back even when the request is cancelled
            await anyio.to_thread.run_sync(slot.__exit__, None, None, None)


async def run_work(limiter: anyio.CapacityLimiter, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    """``fn(*args, **kw)`` in a worker thread of the work pool (not the request threads)."""
    return await anyio.to_thread.run_sync(partial(_on_one_torch_thread, fn, *args, **kw), limiter=limiter)


def _on_one_torch_thread(fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    if "torch" not in sys.modules:  # nothing has loaded torch yet; not loaded here for this
        return fn(*args, **kw)
    with one_thread():
        return fn(*args, **kw)
