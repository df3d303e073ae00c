"""How many threads the work of one process uses: torch's own, and the renderer's.

A leaf module, so every layer (``audio/`` and ``models/`` alike) can ask.

Torch splits each operation over a pool of threads. For the many small operations of
sampling a melody or rendering a stem, handing each to the pool costs more than the
operation, and on a busy two-core machine the pool's threads spin against each other:
eight bars of melody take 40 ms on one thread and over a second on two; a stem's render
slows down as much. So that work runs on one torch thread (:func:`one_thread`), and the
renderer gets its parallelism from rendering independent stems at once instead
(:func:`render_threads` of them: the kernels and torch release the GIL).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from orchestria_lab.errors import InvalidValue

_THREADS_LOCK = threading.Lock()
_THREADS_USERS = 0
_THREADS_BEFORE = 1


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread inside the block, and restore the setting when the last
    block still open (in any thread) ends.

    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with one_thread():
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    import torch

    global _THREADS_USERS, _THREADS_BEFORE
    with _THREADS_LOCK:
        if _THREADS_USERS == 0:
            _THREADS_BEFORE = torch.get_num_threads()
            if _THREADS_BEFORE != 1:
                torch.set_num_threads(1)
        _THREADS_USERS += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _THREADS_USERS -= 1
            if _THREADS_USERS == 0 and _THREADS_BEFORE != 1:
                torch.set_num_threads(_THREADS_BEFORE)


def render_threads() -> int:
    """Stems rendered at once: ``ORCHESTRIA_RENDER_THREADS`` if set, else the cores this
    process may run on.

    >>> os.environ["ORCHESTRIA_RENDER_THREADS"] = "1"; render_threads()
    1
    >>> os.environ["ORCHESTRIA_RENDER_THREADS"] = "lots"; render_threads()
    Traceback (most recent call last):
    ...
    orchestria_lab.errors.InvalidValue: ORCHESTRIA_RENDER_THREADS='lots' is not valid: expected a whole number from 1 to 64.
    >>> del os.environ["ORCHESTRIA_RENDER_THREADS"]
    """
    given = os.environ.get("ORCHESTRIA_RENDER_THREADS", "").strip()
    if not given:
        return max(1, min(64, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
    if not given.isdigit() or not 1 <= int(given) <= 64:
        raise InvalidValue("ORCHESTRIA_RENDER_THREADS", given, "a whole number from 1 to 64")
    return int(given)
