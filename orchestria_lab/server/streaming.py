"""A command's conductor events as server-sent events.

The command runs in a worker thread; each event it emits crosses to the event loop through
a queue and goes out as ``event: <type>`` with the event as JSON ``data``. The stream
ends with ``event: result`` (the command result) or ``event: error`` (``{"error": {...},
"status": ...}``, what the JSON answer would have been).
A client that hangs up does not stop the command: it lands whole or not at all.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi.sse import format_sse_event

from orchestria_lab.errors import OrchestriaError
from orchestria_lab.server.resources import command_out, plain
from orchestria_lab.session.session import Session

log = logging.getLogger("orchestria_lab.server")
_DONE = object()


async def command_events(session: Session, text: str, *, dry_run: bool) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    def emit(item: Any) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        try:
            result = session.command(text, dry_run=dry_run, on_event=lambda ev: emit((ev.type, ev.to_dict())))
            emit(("result", command_out(result)))
        except OrchestriaError as err:
            emit(("error", {"error": err.to_dict(), "status": err.status}))
        except Exception:
            log.exception("command %r on %s failed", text, session.id)
            emit(("error", {"error": {"code": "internal_error", "message": "The server failed on this command; "
                                      "it is logged."}, "status": 500}))
        finally:
            emit(_DONE)

    worker = loop.run_in_executor(None, work)
    number = 0
    while (item := await queue.get()) is not _DONE:
        kind, data = item
        yield format_sse_event(event=kind, id=str(number), data_str=json.dumps(plain(data)))
        number += 1
    await worker
