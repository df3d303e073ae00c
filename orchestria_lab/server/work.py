"""Fair work: one command at a time per session, a few per account, in a bounded pool.

A command claims its session in the ``running_commands`` table (shared by every server
process on the database) before it runs, and gives the claim back when it ends. A second
command on the same session while one runs is **409** ``session_busy`` with ``Retry-After``;
an account with ``Settings.commands_per_account`` commands running gets **429**. A claim
older than :data:`STALE_S`, or held by a process of this host that is no longer running (a
server killed mid-command), no longer counts.

Commands and renders run on the app's work limiter (``Settings.work_threads`` threads),
apart from the request threads, so reads stay fast while heavy work queues; torch runs on one
thread there (:func:`~orchestria_lab.threads.one_thread`: its pool only spins against the other
work on a small machine). Nothing here touches the database from the event loop: a claim's
transaction may wait for the write lock, and the loop answers every other request meanwhile.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import Any, TypeVar

import anyio

from orchestria_lab.errors import OrchestriaError
from orchestria_lab.server.errors import RateLimited
from orchestria_lab.server.tables import ensure_tables
from orchestria_lab.session.service import CommandClaim
from orchestria_lab.session.store import Store
from orchestria_lab.threads import one_thread

T = TypeVar("T")
#: A claim this old is from a process that is gone (longer than any bounded command runs).
STALE_S = 300.0
#: What a busy session or account asks the client to wait, in seconds.
RETRY_AFTER_S = 1
#: The host a claim names, so that a claim of a process that died on this host is let go at once.
HOST = socket.gethostname()

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
def command_slot(store: Store, session_id: str, account: str, *, per_account: int,
                 now: Callable[[], float] = time.time) -> Iterator[None]:
    """Hold ``session_id``'s one command slot (and one of ``account``'s) while the block runs."""
    service = ensure_tables(store)
    started = now()
    mine = CommandClaim(session_id, account, started, HOST, os.getpid())
    for _ in range(2):  # once more after letting go of the claims of processes that are gone
        in_the_way = service.claim_command(mine, per_account=per_account, stale_before=started - STALE_S)
        gone = [c for c in in_the_way if _process_gone(c)]
        if not in_the_way or not gone:
            break
        for claim in gone:
            service.release_command(claim.session_id, claim.started)
    if any(c.session_id == session_id for c in in_the_way):
        raise SessionBusy(session_id)
    if in_the_way:
        raise RateLimited("commands running at once per account", limit=per_account,
                          retry_after=RETRY_AFTER_S, hint="Wait for one of your commands to finish.")
    try:
        yield
    finally:
        service.release_command(session_id, started)


def _process_gone(claim: CommandClaim) -> bool:
    """Whether the process that holds ``claim`` is known to have died: it ran on this host and its
    pid is not running (a server killed mid-command leaves its claim behind)."""
    if claim.host != HOST or claim.pid == os.getpid():
        return False
    try:
        os.kill(claim.pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # there, under another user
    return False


@asynccontextmanager
async def claimed_slot(store: Store, session_id: str, account: str, *,
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
