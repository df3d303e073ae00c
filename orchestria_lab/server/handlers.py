"""Every error answers ``{"error": {"code", "message", ...}}`` with its status.

The toolkit's own errors carry their code and status; validation errors become 422 with
each problem listed; HTTP errors (unknown path, wrong method) keep their status.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from orchestria_lab.errors import OrchestriaError
from orchestria_lab.server.errors import Unauthorized

log = logging.getLogger("orchestria_lab.server")

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large",
               415: "unsupported_media_type"}


def error_response(status: int, error: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    """The error shape: ``{"error": {"code", "message", ..., "request_id"}}``."""
    from orchestria_lab.server.middleware import request_id

    return JSONResponse({"error": {**error, "request_id": request_id()}}, status_code=status, headers=headers)


async def orchestria_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OrchestriaError)
    headers = {}
    if getattr(exc, "retry_after", None) is not None:  # over a limit, or a busy session
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    if exc.status >= 500:
        log.error("%s on %s %s: %s", exc.code, request.method, request.url.path, exc)
    return error_response(exc.status, exc.to_dict(), headers)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [{"where": ".".join(map(str, e.get("loc", ()))), "problem": e.get("msg", ""),
                 "type": e.get("type", "")} for e in exc.errors()]
    if any(p["where"].startswith("body") for p in problems) and (refused := _unauthenticated(request)):
        return await orchestria_error(request, refused)  # who asks comes before what the body says
    message = "The request is not valid: " + "; ".join(f"{p['where']}: {p['problem']}" for p in problems) + "."
    return error_response(422, {"code": "invalid_request", "message": message, "problems": problems})


def _unauthenticated(request: Request) -> Unauthorized | None:
    """Why a request with a body may not be told what is wrong with it: no valid bearer key."""
    from orchestria_lab.server.keys import authenticate

    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Unauthorized("This API needs a key: send 'Authorization: Bearer <key>'. "
                            "Make one with 'orchestria keys create --account NAME'.")
    try:
        authenticate(request.app.state.store, token.strip())
    except Unauthorized as exc:
        return exc
    return None


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    message = str(exc.detail)
    if exc.status_code == 404:
        message = f"No route {request.url.path!r}. The API lives under /v1; see /docs or /openapi.json."
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}. See /docs for the methods."
    return error_response(exc.status_code, {"code": code, "message": message}, exc.headers)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, {"code": "internal_error",
                                "message": "The server failed on this request; it is logged. Try again."})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OrchestriaError, orchestria_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)
