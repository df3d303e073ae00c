"""Dependencies shared by the routers: who is asking (bearer key or signed URL), which of
their sessions, and the request's links. Auth also counts the request against its key's
limit, so every authenticated answer carries the rate-limit headers."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orchestria_lab.errors import NotFound
from orchestria_lab.server.downloads import Signer
from orchestria_lab.server.errors import RateLimited, Unauthorized
from orchestria_lab.server.keys import Principal, active_key, authenticate
from orchestria_lab.server.limits import Allowance, consume_request
from orchestria_lab.server.resources import Links
from orchestria_lab.server.settings import Settings
from orchestria_lab.session.session import Session, check_session_id
from orchestria_lab.session.store import SQLiteStore

#: Where the rate-limit middleware finds what to put in the headers.
ALLOWANCE_STATE = "allowance"

bearer = HTTPBearer(auto_error=False, description="An API key from `orchestria keys create --account NAME`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def get_store(request: Request) -> SQLiteStore:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def _admit(request: Request, principal: Principal) -> Principal:
    settings: Settings = request.app.state.settings
    try:
        allowance = consume_request(request.app.state.store, principal.key_id, settings.requests_per_minute)
    except RateLimited:
        setattr(request.state, ALLOWANCE_STATE, Allowance(settings.requests_per_minute, 0))
        raise
    setattr(request.state, ALLOWANCE_STATE, allowance)
    request.state.principal = principal
    return principal


def require_key(request: Request, credentials: Credentials) -> Principal:
    """The caller of a ``Authorization: Bearer <key>`` request, counted against its limit."""
    if credentials is None:
        raise Unauthorized("This API needs a key: send 'Authorization: Bearer <key>'. "
                           "Make one with 'orchestria keys create --account NAME'.")
    return _admit(request, authenticate(request.app.state.store, credentials.credentials))


def require_key_or_signature(
    request: Request, credentials: Credentials,
    # Typed as plain strings so that they can never fail validation: this dependency must
    # always run, the signature itself says whether they are right.
    expires: Annotated[str | None, Query(description="signed URLs: expiry, Unix seconds")] = None,
    key: Annotated[str | None, Query(description="signed URLs: the id of the key that signed")] = None,
    sig: Annotated[str | None, Query(description="signed URLs: the signature")] = None,
) -> Principal:
    """A bearer key, or else a valid signed URL (what an ``<audio>`` tag can send)."""
    if credentials is not None or sig is None:
        return require_key(request, credentials)
    signer: Signer = request.app.state.signer
    key_id = signer.verify(request.scope["path"], dict(request.query_params))
    return _admit(request, active_key(request.app.state.store, key_id))


def current_principal(request: Request) -> Principal:
    """Whom the router-level auth dependency admitted."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthorized("This request was not authenticated; send 'Authorization: Bearer <key>'.")
    return principal


Caller = Annotated[Principal, Depends(current_principal)]
Store = Annotated[SQLiteStore, Depends(get_store)]
CurrentSettings = Annotated[Settings, Depends(get_settings)]


def get_work_limiter(request: Request) -> anyio.CapacityLimiter:
    """The app's pool for commands and renders (made on first use, inside the event loop)."""
    state = request.app.state
    if getattr(state, "work_limiter", None) is None:
        state.work_limiter = anyio.CapacityLimiter(state.settings.work_threads)
    return state.work_limiter


WorkLimiter = Annotated[anyio.CapacityLimiter, Depends(get_work_limiter)]


def owned_session(session_id: str, caller: Caller, store: Store) -> Session:
    """The caller's open session ``session_id``; any other id (malformed, another account's,
    closed) is the same 404, so ids reveal nothing."""
    check_session_id(session_id)
    info = store.session_info(session_id)
    if info["owner"] != caller.account or info["closed_at"] is not None:
        raise NotFound("session", session_id)
    return Session.open(session_id, store)


def links(request: Request, caller: Caller) -> Links:
    return Links(str(request.base_url), request.app.state.signer, caller.key_id)


OwnedSession = Annotated[Session, Depends(owned_session)]
RequestLinks = Annotated[Links, Depends(links)]
