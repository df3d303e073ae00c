"""The FastAPI app of the REST shim. ``create_app`` only assembles: state, handlers,
middleware, routers. Serve it with ``orchestria serve`` or
``uvicorn orchestria_lab.server.app:create_app --factory``.

>>> import os, tempfile
>>> from orchestria_lab.session.store import SQLiteStore
>>> app = create_app(store=SQLiteStore(os.path.join(tempfile.mkdtemp(), "a.db")))
>>> paths = app.openapi()["paths"]
>>> sorted(paths["/v1/sessions/{session_id}"]), sorted(paths["/v1/sessions/{session_id}/command"])
(['delete', 'get'], ['post'])
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from orchestria_lab import __version__
from orchestria_lab.server.deps import ALLOWANCE_STATE, OpenSessions
from orchestria_lab.server.downloads import Signer
from orchestria_lab.server.handlers import install_error_handlers
from orchestria_lab.server.idempotency import Idempotency, document
from orchestria_lab.server.middleware import (
    IMPORT_BODY_BYTES,
    BodyLimit,
    InternalErrors,
    RateLimitHeaders,
    RequestId,
    RequestIdLogFilter,
)
from orchestria_lab.server.routers import agents, commands, downloads, exports, sessions, variations
from orchestria_lab.server.routers.docs import install_docs
from orchestria_lab.server.settings import Settings
from orchestria_lab.server.tables import ensure_tables
from orchestria_lab.session.store import Store, default_store

__all__ = ["create_app"]

DESCRIPTION = """The API preview of Orchestria Lab: the same versioned sessions as the Python
library, over HTTP. Every request sends `Authorization: Bearer <key>`; make keys with
`orchestria keys create --account NAME`. Errors are `{"error": {"code", "message", ..., "request_id"}}`,
and every answer carries `X-Request-Id`."""


def create_app(*, store: Store | None = None, settings: Settings | None = None) -> FastAPI:
    """The app over ``store`` (default: the database ``ORCHESTRIA_DATABASE_URL`` names, else
    ``ORCHESTRIA_DB``) with ``settings`` (default: the env)."""
    settings = settings or Settings.from_env()
    store = store or default_store()
    ensure_tables(store)
    app = FastAPI(title="Orchestria Lab API (preview)", version=__version__, description=DESCRIPTION,
                  lifespan=_warm_up, docs_url=None, redoc_url=None)
    app.state.store, app.state.settings = store, settings
    app.state.open_sessions = OpenSessions()
    app.state.signer = Signer.for_store(store, secret=settings.secret, ttl_s=settings.signed_url_ttl_s,
                                        key_file=settings.key_file)
    install_error_handlers(app)
    server_log = logging.getLogger("orchestria_lab.server")
    if not any(isinstance(f, RequestIdLogFilter) for f in server_log.filters):
        server_log.addFilter(RequestIdLogFilter())
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RateLimitHeaders, limit=settings.requests_per_minute, state_key=ALLOWANCE_STATE)
    # outside the rate limit (a replay is not a new request), inside CORS (a replay is answered with its headers)
    app.add_middleware(Idempotency, max_bytes=max(settings.max_body_bytes, IMPORT_BODY_BYTES))
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "Accept", "Idempotency-Key",
                                          "X-Request-Id"],
                           expose_headers=["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                                           "X-Request-Id", "Idempotent-Replayed", "X-Total-Count", "Link"])
    app.add_middleware(InternalErrors)  # a 500 keeps the connection
    app.add_middleware(RequestId)  # outermost: every answer, errors and 413s included, carries its id
    for module in (sessions, commands, exports, downloads, agents, variations):
        app.include_router(module.router)
    document(app)  # the Idempotency-Key header, in the spec of every POST
    install_docs(app)  # /docs and /redoc, with their scripts served from the package (no CDN)
    return app


@asynccontextmanager
async def _warm_up(app: FastAPI) -> AsyncIterator[None]:
    """Load the compiled audio kernels while the server starts, not on its first render."""
    from orchestria_lab.audio.kernels import warm

    await to_thread.run_sync(warm)
    yield

