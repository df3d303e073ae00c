"""``Idempotency-Key`` on every POST: a retry returns the first answer and makes nothing new.

A POST that carries the header claims the key for its account (one row of the shared
``idempotency_keys`` table, so every server process on the database sees it) before it runs.

- A retry with the same key and the same request gets the first answer again, byte for byte,
  marked ``Idempotent-Replayed: true``: no second version, no second export.
- The same key with a different request (another path or body) is a 422
  ``idempotency_key_reused``.
- A retry while the first is still running is a 409 ``idempotency_in_progress`` with a
  ``Retry-After``; the clients wait it out.
- Only a successful (2xx) answer is kept: a refused or failed request made nothing, so its
  key is let go and a retry runs again.
- Keys are kept :data:`KEY_TTL_S` (24 h) per account; a claim left by a process that died
  while answering is taken over after :data:`STALE_CLAIM_S`.

"The same request" is judged on the method, path, query and body; a JSON body by its parsed
content (key order and spacing aside), a multipart one with its boundary (new on every send)
taken out.

>>> import tempfile, os
>>> from orchestria_lab.session.store import SQLiteStore
>>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "i.db"))
>>> fp = fingerprint("POST", "/v1/sessions", b"", b'{"bpm": 90}', "application/json")
>>> fp == fingerprint("POST", "/v1/sessions", b"", b'{ "bpm":90 }', "application/json")
True
>>> claim(store, "alice", "k1", fp, now=0.0).kind
'new'
>>> claim(store, "alice", "k1", fp, now=1.0).kind
'in_progress'
>>> finish(store, "alice", "k1", 201, [("content-type", "application/json")], b'{"id": "ses_1"}')
>>> claimed = claim(store, "alice", "k1", fp, now=2.0)
>>> claimed.kind, claimed.status, claimed.body
('replay', 201, b'{"id": "ses_1"}')
>>> claim(store, "alice", "k1", "another request", now=3.0).kind
'mismatch'
>>> claim(store, "bob", "k1", fp, now=3.0).kind  # keys are per account
'new'
>>> claim(store, "alice", "k1", fp, now=KEY_TTL_S + 10).kind  # a day later the key is free again
'new'
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time

from anyio import to_thread
from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestria_lab.errors import OrchestriaError
from orchestria_lab.server.errors import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    Unauthorized,
)
from orchestria_lab.server.keys import authenticate
from orchestria_lab.server.middleware import _HttpOnly
from orchestria_lab.server.tables import ensure_tables
from orchestria_lab.session.service import IdempotencyClaim
from orchestria_lab.session.store import Store

log = logging.getLogger("orchestria_lab.server")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
#: How long a key is remembered for its account.
KEY_TTL_S = 24 * 3600
#: A claim still running after this long belongs to a process that died answering it.
STALE_CLAIM_S = 600
#: What a client may use as a key: up to 255 printable ASCII characters (a UUID is the usual choice).
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
#: The largest answer kept for replay; a larger one is answered but not kept (logged).
MAX_KEPT_BYTES = 16 << 20
#: Headers of the first answer that belong to it alone, not to its replays.
_PER_ANSWER = {b"x-request-id", b"x-ratelimit-limit", b"x-ratelimit-remaining", b"date", b"server",
               b"content-length"}

#: The header as the OpenAPI spec of every POST names it.
PARAMETER = {
    "name": HEADER, "in": "header", "required": False,
    "description": "Any unique string, such as a UUID. A retry with the same key and body returns the first "
                   "answer (marked `Idempotent-Replayed: true`) and makes nothing new; kept 24 h per account.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def document(app: FastAPI) -> None:
    """Name :data:`PARAMETER` on every POST under ``/v1`` of ``app``'s OpenAPI spec.

    >>> app = FastAPI(); _ = app.post("/v1/things")(lambda: None); document(app)
    >>> [p["name"] for p in app.openapi()["paths"]["/v1/things"]["post"]["parameters"]]
    ['Idempotency-Key']
    """
    build = app.openapi

    def openapi() -> dict:
        first = app.openapi_schema is None
        spec = build()
        if first:
            for path, operations in spec["paths"].items():
                if path.startswith("/v1/") and "post" in operations:
                    operations["post"].setdefault("parameters", []).append(PARAMETER)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


#: What the store says of a key (``new``, ``replay``, ``in_progress`` or ``mismatch``).
Claimed = IdempotencyClaim


def fingerprint(method: str, path: str, query: bytes, body: bytes, content_type: str) -> str:
    """A digest of what makes two requests the same request."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type.endswith("json"):
        try:
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            pass  # not JSON after all: judged byte for byte
    boundary = re.search(r"boundary=\"?([^\";]+)", content_type)
    if media_type.startswith("multipart/") and boundary:
        body = body.replace(b"--" + boundary.group(1).encode("latin-1"), b"--BOUNDARY")
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query, media_type.encode(), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def claim(store: Store, account: str, key: str, print_: str, *, now: float | None = None) -> Claimed:
    """Take ``key`` for ``account``'s request of fingerprint ``print_``, or say why not."""
    return ensure_tables(store).claim_request_key(account, key, print_, now=time.time() if now is None else now,
                                                  ttl_s=KEY_TTL_S, stale_s=STALE_CLAIM_S)


def finish(store: Store, account: str, key: str, status: int, headers: list[tuple[str, str]],
           body: bytes) -> None:
    """Keep the answer to ``key``'s request, for its replays."""
    ensure_tables(store).keep_answer(account, key, status, headers, body)


def release(store: Store, account: str, key: str) -> None:
    """Let ``key`` go: its request made nothing, so a retry should run again."""
    ensure_tables(store).release_request_key(account, key)


class Idempotency(_HttpOnly):
    """The ASGI middleware: POSTs under ``/v1/`` with an ``Idempotency-Key`` run at most once
    per account and key. It sits inside the CORS layer and outside the rate limit, so a replay
    is not counted as a new request. Bodies over ``max_bytes`` are passed on untouched, for
    the body limit to refuse."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        key = headers.get(HEADER.lower())
        if key is None or scope["method"] != "POST" or not scope["path"].startswith("/v1/"):
            return await self.app(scope, receive, send)
        store: Store = scope["app"].state.store
        bearer = headers.get("authorization", "")
        try:
            if not KEY_RE.match(key):
                raise InvalidIdempotencyKey(key)
            account = (await to_thread.run_sync(authenticate, store, bearer.removeprefix("Bearer ").strip())).account
        except Unauthorized:
            return await self.app(scope, receive, send)  # the app answers the 401 as usual
        except OrchestriaError as exc:
            return await _error(exc, scope, receive, send)
        messages, complete = await _read_body(receive, self.max_bytes)
        replay_receive = _replaying(messages, receive)
        if not complete:  # too big for the body limit (or cut short): the app answers it as usual
            return await self.app(scope, replay_receive, send)
        body = b"".join(m.get("body", b"") for m in messages)
        print_ = fingerprint("POST", scope["path"], scope.get("query_string", b""), body,
                             headers.get("content-type", ""))
        claimed = await to_thread.run_sync(claim, store, account, key, print_)
        if claimed.kind == "mismatch":
            return await _error(IdempotencyKeyReused(key), scope, receive, send)
        if claimed.kind == "in_progress":
            return await _error(IdempotencyInProgress(key), scope, receive, send)
        if claimed.kind == "replay":
            return await _replay(claimed, send)
        await self._run_and_keep(scope, replay_receive, send, store, account, key)

    async def _run_and_keep(self, scope: Scope, receive: Receive, send: Send, store: Store,
                            account: str, key: str) -> None:
        """Run the request, keeping a 2xx answer before its last byte goes out, so that a retry
        sent the moment the client has the answer already finds it."""
        status, kept_headers, body, kept = 0, [], bytearray(), False

        async def keep(message: Message) -> None:
            nonlocal status, kept_headers, kept
            if message["type"] == "http.response.start":
                status = message["status"]
                kept_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
                                if k.lower() not in _PER_ANSWER]
            elif message["type"] == "http.response.body" and 200 <= status < 300:
                if len(body) <= MAX_KEPT_BYTES:
                    body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    if len(body) <= MAX_KEPT_BYTES:
                        await to_thread.run_sync(finish, store, account, key, status, kept_headers, bytes(body))
                        kept = True
                    else:
                        log.warning("The answer to Idempotency-Key %r is over the %d bytes kept for replays",
                                    key, MAX_KEPT_BYTES)
            await send(message)

        try:
            await self.app(scope, receive, keep)
        finally:
            if not kept:  # refused, failed or cut short: it made nothing to replay, so a retry runs again
                await to_thread.run_sync(release, store, account, key)


async def _read_body(receive: Receive, cap: int) -> tuple[list[Message], bool]:
    """The request's body messages, up to ``cap`` bytes; ``complete`` is False past it (or
    when the client went away)."""
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, False
        size += len(message.get("body", b""))
        if size > cap:
            return messages, False
        if not message.get("more_body", False):
            return messages, True


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives back ``messages`` first, then what is left of the stream."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _replay(claimed: Claimed, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in claimed.headers]
    headers += [(REPLAYED_HEADER.lower().encode(), b"true"), (b"content-length", str(len(claimed.body)).encode())]
    await send({"type": "http.response.start", "status": claimed.status, "headers": headers})
    await send({"type": "http.response.body", "body": claimed.body})


async def _error(exc: OrchestriaError, scope: Scope, receive: Receive, send: Send) -> None:
    from starlette.requests import Request

    from orchestria_lab.server.handlers import orchestria_error

    response = await orchestria_error(Request(scope), exc)
    await response(scope, receive, send)
