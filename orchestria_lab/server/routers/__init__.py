"""The API's routers. They only assemble: parse, call the session or a service, present."""

from __future__ import annotations

from typing import Any

from orchestria_lab.server.models import ErrorBody

_MEANING = {
    400: "a request the server cannot read", 401: "no key, a bad or revoked key, or an expired signed URL",
    403: "a signed URL whose signature does not match", 404: "no such session, version, stem or file",
    409: "the session changed under this request; try again", 413: "the request body is too large",
    422: "a value is not valid, or a command was not understood (with suggestions)",
    429: "over a limit; see Retry-After",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give, all in the one error shape."""
    return {status: {"model": ErrorBody, "description": _MEANING[status]} for status in statuses}


#: What any authenticated route may answer besides its success.
COMMON_ERRORS = error_responses(400, 401, 404, 413, 422, 429)
