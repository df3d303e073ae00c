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
