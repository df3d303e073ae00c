"""The HTTP plumbing under :mod:`orchestria_lab.client`: one call sent (and sent again when that
is safe), answers turned into the toolkit's typed errors, and server-sent events read.

Every POST carries an ``Idempotency-Key``, made once per call and kept on its resends, so
that the server answers a resend of a request it already ran with its first answer instead
of running it twice. That makes every resend safe: after a version conflict (nothing was
written), while the session is busy, and once after a failure in transport.

>>> err = error_from_body(404, {"code": "not_found", "message": "No session 'ses_0'.", "kind": "session"})
>>> type(err).__name__, err.status, err.details["kind"]
('NotFound', 404, 'session')
>>> error_from_body(418, {"code": "teapot", "message": "short and stout"})
ApiError(418, 'teapot', 'short and stout')
>>> list(sse_events(["event: plan", 'data: {"a": 1}', "", "data: x", ""]))
[('plan', '{"a": 1}'), ('message', 'x')]
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

from orchestria_lab.errors import CommandNotUnderstood, OrchestriaError, VersionConflict
from orchestria_lab.server import errors as server_errors  # its classes join the lookup by code

#: How often a call that met a version conflict (nothing written) is sent again.
CONFLICT_RETRIES = 3
#: How long a call waits, sending again, for a session busy with another command, or for the
#: server to finish answering the first send of the same ``Idempotency-Key`` (seconds).
BUSY_PATIENCE_S = 60.0
#: How often a call that got no answer (refused connection, timeout, broken connection) is sent again.
TRANSPORT_RETRIES = 1
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: The 409 codes that mean "nothing ran yet; send the same request again shortly".
_WAIT_CODES = ("session_busy", "idempotency_in_progress")


class ApiError(OrchestriaError):
    """An error answer whose code this client does not know (a newer server, a proxy)."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.status, self.code = status, code

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code!r}, {self.message!r})"


class ServerUnreachable(OrchestriaError):
    """No answer came from the server: nothing listens at its URL, the connection broke, or it was too slow.

    >>> err = ServerUnreachable("http://127.0.0.1:9", httpx.ConnectError("refused"), request="GET /v1/agents")
    >>> "orchestria serve" in err.message and err.details["url"], err.details["cause"]
    ('http://127.0.0.1:9', 'ConnectError')
    """

    code = "server_unreachable"
    status = 503

    def __init__(self, url: str, exc: Exception, *, request: str = "", note: str = "") -> None:
        cause = type(exc).__name__
        sent = f" ({request})" if request else ""
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
            told = (f"The Orchestria server at {url} did not answer in time{sent}: {cause}. It may be busy with "
                    "long work: try again, or give the client more time (Client(..., timeout=seconds)).")
        else:
            told = (f"Could not reach the Orchestria server at {url}{sent}: {cause}: {exc or 'no detail'}. Check "
                    "the URL (Client(base_url), or the CLI's --server / ORCHESTRIA_SERVER: scheme, host and port, "
                    "e.g. http://127.0.0.1:8000), that `orchestria serve` is running there and listening on "
                    "that port, and that nothing between here and there blocks it.")
        super().__init__(told + (f" {note}" if note else ""), url=url, cause=cause, request=request)


def _error_classes() -> dict[str, type[OrchestriaError]]:
    classes: dict[str, type[OrchestriaError]] = {}
    pending = [OrchestriaError]
    while pending:
        cls = pending.pop()
        classes.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    classes.pop(ApiError.code, None)
    return classes


def error_from_body(status: int, body: dict[str, Any]) -> OrchestriaError:
    """The exception an error answer stands for: the toolkit's class of that code if there
    is one (built without its constructor, with the server's message and details)."""
    details = {k: v for k, v in body.items() if k not in ("code", "message")}
    code, message = str(body.get("code", f"http_{status}")), str(body.get("message", ""))
    cls = _error_classes().get(code)
    if cls is None or cls.status != status:
        return ApiError(status, code, message, **details)
    err = cls.__new__(cls)
    OrchestriaError.__init__(err, message, **details)
    if isinstance(err, CommandNotUnderstood):
        err.understood, err.suggestions = details.get("understood", []), details.get("suggestions", [])
    if isinstance(err, server_errors.RateLimited):
        err.retry_after = int(details.get("retry_after", 1))
    return err


def _conflict(response: httpx.Response) -> dict[str, Any] | None:
    """The error body of a 409, if it is one."""
    if response.status_code != 409:
        return None
    try:
        body = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None
    return body if isinstance(body, dict) else None


def _retryable_conflict(response: httpx.Response) -> bool:
    body = _conflict(response)
    return body is not None and body.get("code") == VersionConflict.code and body.get("retryable", True) is not False


def _must_wait(response: httpx.Response) -> bool:
    """A 409 that ran nothing: a session busy with another command, or the first send of this
    ``Idempotency-Key`` still being answered. The same request may be sent again shortly."""
    body = _conflict(response)
    return body is not None and body.get("code") in _WAIT_CODES


def raise_for_error(response: httpx.Response) -> None:
    """Raise the typed exception of an error answer (read first, if streamed)."""
    if response.is_success:
        return
    response.read()
    try:
        body = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        body = {"code": f"http_{response.status_code}", "message": response.text[:500]}
    raise error_from_body(response.status_code, body)


def send(http: httpx.Client, method: str, path: str, *, stream: bool = False, **kw: Any) -> httpx.Response:
    """One API call on ``http``: its answer, or its typed error; no answer raises :class:`ServerUnreachable`.

    A POST gets an ``Idempotency-Key`` (unless ``headers`` has one), the same on every resend:
    up to :data:`CONFLICT_RETRIES` times after a ``409 version_conflict`` (another writer got
    there first and nothing was written; not one the server marks ``retryable: false``, an
    undo whose head moved), for up to :data:`BUSY_PATIENCE_S` while a 409 says to wait
    (``session_busy``, ``idempotency_in_progress``), and :data:`TRANSPORT_RETRIES` time after
    no answer came (a request that reached the server is then answered as it was the first
    time). With ``stream=True`` the body is left to read; the caller closes the response.
    """
    headers = dict(kw.pop("headers", None) or {})
    if method.upper() == "POST":
        headers.setdefault(IDEMPOTENCY_HEADER, str(uuid.uuid4()))
    deadline = time.monotonic() + BUSY_PATIENCE_S
    conflicts = resent = 0
    while True:
        try:
            response = http.send(http.build_request(method, path, headers=headers, **kw), stream=stream)
        except httpx.TransportError as exc:
            if resent < TRANSPORT_RETRIES:
                resent += 1
                time.sleep(random.uniform(0.05, 0.25))
                continue
            note = ("It may have reached the server: refresh the session to see what it made."
                    if method.upper() == "POST" and not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                    else "")
            raise ServerUnreachable(str(http.base_url).rstrip("/"), exc, request=f"{method} {path}", note=note) from exc
        if response.is_success:
            return response
        response.read()
        response.close()
        if conflicts < CONFLICT_RETRIES and _retryable_conflict(response):
            conflicts += 1
            time.sleep(random.uniform(0, 0.05 * conflicts))
            continue
        if _must_wait(response) and time.monotonic() < deadline:
            time.sleep(min(2.0, float(response.headers.get("Retry-After", "1"))) * random.uniform(0.5, 1.0))
            continue
        raise_for_error(response)


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """``(event, data)`` pairs from the lines of a ``text/event-stream``."""
    kind, data = "message", []
    for line in lines:
        if line == "":
            if data:
                yield kind, "\n".join(data)
            kind, data = "message", []
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
