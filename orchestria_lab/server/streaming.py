"""A command's conductor events as server-sent events.

The command runs in a worker thread; each event it emits crosses to the event loop through
a queue and goes out as ``event: <type>`` with the event (``{"type", "data"}``) as JSON.
The stream ends with exactly one of:

- ``event: result``: the command result (with the session after it), as the JSON answer would have been;
- ``event: error``: ``{"type": "error", "data": {"code", "message", "status", ...}}``, the
  error the JSON answer would have been (the conductor's own ``error`` event is folded
  into it, so a client sees one error, with its HTTP status).

A client that hangs up does not stop the command: it lands whole or not at all, and the
stream runs on to its end unheard (:class:`CommandStream`), so the command's slot is held
until it lands and an ``Idempotency-Key`` keeps the whole answer for the client's retry (which
would otherwise run as a new request: counted against the rate limit, and a second version).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi.sse import format_sse_event
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from orchestria_lab.errors import OrchestriaError
from orchestria_lab.server.resources import Links, command_out, plain
from orchestria_lab.server.work import run_work
from orchestria_lab.session.session import Session

log = logging.getLogger("orchestria_lab.server")
_DONE = object()


class CommandStream(StreamingResponse):
    """A stream that runs to its last event whether or not the client still listens.

    Starlette's own stops at the client's ``http.disconnect``; a command's stream must not: its
    end is what the retry of a hung-up client is answered with. The ASGI server drops what is sent
    after a hang-up (uvicorn), or fails the send (``OSError``), which is let go of here.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_on(message: Message) -> None:
            try:
                await send(message)
            except OSError:
                pass  # the client has gone; what it missed is still kept for its retry

        await self.stream_response(send_on)
        if self.background is not None:
            await self.background()


def _error_event(session_id: str, error: dict[str, Any], status: int) -> dict[str, Any]:
    return {"type": "error", "data": {"session_id": session_id, **error, "status": status}}


async def command_events(session: Session, text: str, *, dry_run: bool, links: Links,
                         limiter: anyio.CapacityLimiter) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    def emit(item: Any) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        held: list[Any] = []  # the conductor's error events, until we know whether it raises

        def forward(event: Any) -> None:
            item = (event.type, event.to_dict())
            if event.type == "error":
                held.append(item)
            else:
                emit(item)

        try:
            result = session.command(text, dry_run=dry_run, on_event=forward)
            for item in held:
                emit(item)
            emit(("result", command_out(result, session, links)))
        except OrchestriaError as err:
            emit(("error", _error_event(session.id, err.to_dict(), err.status)))
        except Exception:
            log.exception("command %r on %s failed", text, session.id)
            emit(("error", _error_event(session.id, {"code": "internal_error", "message": (
                "The server failed on this command; it is logged.")}, 500)))
        finally:
            emit(_DONE)

    worker = asyncio.ensure_future(run_work(limiter, work))
    number = 0
    while (item := await queue.get()) is not _DONE:
        kind, data = item
        yield format_sse_event(event=kind, id=str(number), data_str=json.dumps(plain(data)))
        number += 1
    await worker
