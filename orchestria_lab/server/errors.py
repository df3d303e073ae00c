"""The errors only the HTTP layer raises: missing keys, bad signatures, limits, big bodies.

They join the toolkit's one hierarchy (:class:`~orchestria_lab.errors.OrchestriaError`),
so the server turns them into ``{"error": {...}}`` like any other, and the Python client
raises the same classes. This module imports nothing from FastAPI.

>>> err = RateLimited("requests", limit=60, retry_after=12, hint="Slow down.")
>>> err.status, err.to_dict()["retry_after"]
(429, 12)
"""

from __future__ import annotations

from typing import Any

from orchestria_lab.errors import OrchestriaError


class Unauthorized(OrchestriaError):
    """No key, an unknown or revoked key, or an expired signed URL."""

    code = "unauthorized"
    status = 401


class Forbidden(OrchestriaError):
    """A signed URL whose signature does not match what it grants."""

    code = "forbidden"
    status = 403


class RateLimited(OrchestriaError):
    """Over one of the preview's limits; ``retry_after`` says when to try again (seconds)."""

    code = "rate_limited"
    status = 429

    def __init__(self, limit_name: str, *, limit: int, retry_after: int, hint: str, **details: Any) -> None:
        super().__init__(
            f"Over the limit of {limit} {limit_name}. {hint} Retry after {retry_after} s.",
            limit_name=limit_name, limit=limit, retry_after=retry_after, **details,
        )
        self.retry_after = retry_after


class PayloadTooLarge(OrchestriaError):
    """A request body over the server's size limit."""

    code = "payload_too_large"
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is over {limit} bytes; send less.", limit=limit)


class IdempotencyKeyReused(OrchestriaError):
    """An ``Idempotency-Key`` sent again with a different request."""

    code = "idempotency_key_reused"
    status = 422

    def __init__(self, key: str) -> None:
        super().__init__(f"The Idempotency-Key {key!r} was first sent with a different request (method, "
                         f"path or body). Send a retry exactly as the first, or use a new key for a new request.",
                         key=key)


class IdempotencyInProgress(OrchestriaError):
    """The first request with this ``Idempotency-Key`` is still being answered."""

    code = "idempotency_in_progress"
    status = 409

    def __init__(self, key: str, retry_after: int = 1) -> None:
        super().__init__(f"The first request with Idempotency-Key {key!r} is still running; retry after "
                         f"{retry_after} s to get its answer.", key=key, retry_after=retry_after)
        self.retry_after = retry_after


class InvalidIdempotencyKey(OrchestriaError):
    """An ``Idempotency-Key`` header that is empty, too long or not printable ASCII."""

    code = "invalid_idempotency_key"
    status = 400

    def __init__(self, key: str) -> None:
        super().__init__(f"The Idempotency-Key {key[:40]!r} is not valid: expected 1 to 255 printable ASCII "
                         f"characters without spaces, such as a UUID.", key=key[:255])
