"""Small ASGI middlewares: the request-body limit, the rate-limit headers, and a 500 that keeps
the connection."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
from abc import ABC, abstractmethod

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestria_lab.server.errors import PayloadTooLarge

#: The most of an over-long body read before answering 413.
DRAIN_CAP_BYTES = 4 << 20


#: The body an import may send: a MIDI file of the largest size read, and the multipart form around it.
IMPORT_BODY_BYTES = (1 << 20) + (16 << 10)


class BodyLimit:
    """413 for a body over ``max_bytes``: at once if Content-Length says so, else as it streams."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_bytes
        if scope.get("method") == "POST" and str(scope.get("path", "")).endswith("/import"):
            limit = max(limit, IMPORT_BODY_BYTES)  # a MIDI file of up to 1 MB, and its form around it
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            # Read (and drop) what a client is still sending, up to a cap, so that it reads
            # the 413 instead of a connection reset; past the cap the server closes.
            drained, more = 0, True
            while more and drained < DRAIN_CAP_BYTES:
                message = await receive()
                drained += len(message.get("body", b""))
                more = message.get("more_body", False) and message["type"] == "http.request"
            body = json.dumps({"error": {**PayloadTooLarge(limit).to_dict(), "request_id": request_id()}}).encode()
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return None
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                # FastAPI re-raises HTTPExceptions met while reading the body; the
                # app's handler then answers in the usual error shape.
                raise HTTPException(413, PayloadTooLarge(limit).message)
            return message

        await self.app(scope, limited_receive, send)


class RateLimitHeaders:
    """``X-RateLimit-Limit`` on every ``/v1`` answer, and ``X-RateLimit-Remaining`` on every
    one counted against a key (all but those refused before a key was checked: 401, 413)."""

    def __init__(self, app: ASGIApp, *, limit: int, state_key: str) -> None:
        self.app, self.limit, self.state_key = app, limit, state_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                allowance = scope.get("state", {}).get(self.state_key)
                headers = MutableHeaders(scope=message)
                headers["X-RateLimit-Limit"] = str(self.limit if allowance is None else allowance.limit)
                if allowance is not None:
                    headers["X-RateLimit-Remaining"] = str(allowance.remaining)
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: The id of the request being answered (what every error body and the server's log lines carry).
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("orchestria_request_id", default="")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id() -> str:
    """The id of the request this code answers ("" outside one)."""
    return REQUEST_ID.get()


class _HttpOnly(ABC):
    """An ASGI middleware that acts on HTTP requests (:meth:`http`) and passes anything else through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    @abstractmethod
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request."""


class RequestId(_HttpOnly):
    """Every answer carries ``X-Request-Id``: the client's own, when it sent a usable one (up to 64
    letters, digits and ``._:-``), else a new ``req_`` id. Error bodies carry it as ``request_id``,
    and the server's log lines as ``[req_...]``, so a bug report can quote it."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = Headers(scope=scope).get("x-request-id", "")
        rid = given if _CLIENT_ID.match(given) else "req_" + secrets.token_hex(8)
        token = REQUEST_ID.set(rid)

        async def tag(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, tag)
        finally:
            REQUEST_ID.reset(token)


class RequestIdLogFilter(logging.Filter):
    """Puts the request's id in front of each log line the server writes while answering it."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = REQUEST_ID.get()
        if rid and not getattr(record, "_request_tagged", False):
            record.msg, record._request_tagged = f"[{rid}] {record.msg}", True
        return True


class InternalErrors(_HttpOnly):
    """A failure nothing else handled becomes the JSON 500, and goes no further: re-raised, the
    ASGI server would close the keep-alive connection under the client (Starlette's outer error
    middleware re-raises after answering)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:
                raise  # half an answer is out: only closing the connection can say so
            from starlette.requests import Request

            from orchestria_lab.server.handlers import internal_error

            response = await internal_error(Request(scope), exc)
            await response(scope, receive, send)

