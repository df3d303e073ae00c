"""Dependencies shared by the routers: who is asking (bearer key or signed URL), which of
their sessions, and the request's links. Auth also counts the request against its key's
limit, so every authenticated answer carries the rate-limit headers.

Those that only read the app's state are ``async``: FastAPI runs a plain function dependency
in a thread of its pool, a hand-over each that costs more than the work under load. Those that
ask the database stay plain functions, off the event loop.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
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
from orchestria_lab.session.store import Store as SessionStore

#: Where the rate-limit middleware finds what to put in the headers.
ALLOWANCE_STATE = "allowance"

bearer = HTTPBearer(auto_error=False, description="An API key from `orchestria keys create --account NAME`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def get_store(request: Request) -> SessionStore:
    return request.app.state.store


async def get_settings(request: Request) -> Settings:
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


async def current_principal(request: Request) -> Principal:
    """Whom the router-level auth dependency admitted."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthorized("This request was not authenticated; send 'Authorization: Bearer <key>'.")
    return principal


Caller = Annotated[Principal, Depends(current_principal)]
Store = Annotated[SessionStore, Depends(get_store)]
CurrentSettings = Annotated[Settings, Depends(get_settings)]


async def get_work_limiter(request: Request) -> anyio.CapacityLimiter:
    """The app's pool for commands and renders (made on first use, inside the event loop)."""
    state = request.app.state
    if getattr(state, "work_limiter", None) is None:
        state.work_limiter = anyio.CapacityLimiter(state.settings.work_threads)
    return state.work_limiter


WorkLimiter = Annotated[anyio.CapacityLimiter, Depends(get_work_limiter)]


class OpenSessions:
    """The sessions this process opened lately: each one's records and head state, shared by the
    requests that follow (both are immutable; each request gets a :class:`Session` of its own),
    so that a request whose session has not moved reads no stem again. Its owner and head are asked
    every time (:meth:`open`): writers in other processes are seen as on a fresh open.

    >>> import tempfile, os
    >>> from orchestria_lab.session.store import SQLiteStore
    >>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "o.db"))
    >>> made = Session.create(bpm=90, key="Cm", genre="lo-fi", store=store, owner="ann")
    >>> sessions = OpenSessions()
    >>> first = sessions.open(made.id, store, "ann")
    >>> _ = Session.open(made.id, store).rollback(0)  # another writer
    >>> second = sessions.open(made.id, store, "ann")
    >>> first is second, first.version, second.version
    (False, 0, 1)
    >>> mine = Session.open(made.id, store)
    >>> _ = mine.rollback(0)  # a command of this process: its session is kept as it commits
    >>> sessions.keep(mine)
    >>> sessions.open(made.id, store, "ann").version
    2
    >>> sessions.open(made.id, store, "bob")
    Traceback (most recent call last):
    ...
    orchestria_lab.errors.NotFound: ...
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[int, str], Session] = OrderedDict()
        self._loading: dict[tuple[int, str], threading.Lock] = {}  # one reader of the store per session
        self._lock = threading.Lock()

    def open(self, session_id: str, store: SessionStore, owner: str) -> Session:
        """``owner``'s open session ``session_id`` at its head, as a new :class:`Session` for the
        caller; :class:`NotFound` if it is not theirs, closed, or not there. The requests that find
        the kept session behind the head at once read the new head from the store once, together."""
        check_session_id(session_id)
        info = store.session_info(session_id)
        if info["owner"] != owner or info["closed_at"] is not None:
            raise NotFound("session", session_id)
        head = store.head(session_id)
        key = (id(store), session_id)
        with self._lock:
            kept = self._kept.get(key)
            loading = None if kept is not None and kept.version >= head else self._loading.setdefault(
                key, threading.Lock())
        if loading is not None:
            with loading:
                with self._lock:
                    kept = self._kept.get(key)  # what another request read meanwhile
                if kept is None:
                    kept = Session.open(session_id, store)
                elif kept.version < head:
                    kept = Session(session_id, store, kept.state, kept.records).refresh()
                self.keep(kept)
        return Session(session_id, store, kept.state, kept.records)

    def keep(self, session: Session) -> None:
        """Keep ``session`` (as of its version) for the requests that follow, unless a later version
        of it is kept already: a command's session after its commit, so that the reads of the
        version it made do not read it from the store again."""
        key = (id(session.store), session.id)
        with self._lock:
            kept = self._kept.get(key)
            if kept is None or kept.version < session.version:
                self._kept[key] = Session(session.id, session.store, session.state, session.records)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._loading.pop(self._kept.popitem(last=False)[0], None)


def owned_session(session_id: str, caller: Caller, store: Store, request: Request) -> Session:
    """The caller's open session ``session_id``; any other id (malformed, another account's,
    closed) is the same 404, so ids reveal nothing."""
    sessions: OpenSessions = request.app.state.open_sessions
    return sessions.open(session_id, store, caller.account)


async def links(request: Request, caller: Caller) -> Links:
    return Links(str(request.base_url), request.app.state.signer, caller.key_id)


OwnedSession = Annotated[Session, Depends(owned_session)]
RequestLinks = Annotated[Links, Depends(links)]
