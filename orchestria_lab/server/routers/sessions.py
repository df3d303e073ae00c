"""Sessions: create, list, read, close; their stems, notes, versions, diffs and rollbacks."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from orchestria_lab.errors import InvalidValue
from orchestria_lab.server.deps import (
    Caller,
    CurrentSettings,
    OwnedSession,
    RequestLinks,
    Store,
    WorkLimiter,
    require_key,
)
from orchestria_lab.server.disk import drop_exports
from orchestria_lab.server.limits import open_session_slot
from orchestria_lab.server.models import (
    DiffRow,
    MidiSessionCreate,
    NoteOut,
    RollbackRequest,
    SessionCreate,
    SessionListItem,
    SessionOut,
    StemOut,
    VersionOut,
)
from orchestria_lab.server.resources import (
    Links,
    notes_json,
    records,
    session_list,
    session_out,
    stems_out,
    version_out,
    versions_out,
)
from orchestria_lab.server.routers import COMMON_ERRORS, error_responses
from orchestria_lab.server.work import run_work
from orchestria_lab.session.session import Session, now_iso
from orchestria_lab.session.store import SQLiteStore

router = APIRouter(prefix="/v1/sessions", tags=["sessions"], dependencies=[Depends(require_key)],
                   responses=COMMON_ERRORS)

Version = Annotated[int | None, Query(ge=0, description="default: the current version")]
#: Rows per page of a list by default, and at most.
PAGE, MAX_PAGE = 100, 1000


#: Pages of the version and session lists: ``limit`` rows after the cursor ``after``.
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"rows per page (at most {MAX_PAGE})")]


def _page(rows: list[dict], key: str, after: object, limit: int, request: Request, response: Response) -> list[dict]:
    """One page of ``rows`` (ordered by ``key``) after the cursor; the total in ``X-Total-Count``
    and the next page, when there is one, in ``Link: <...>; rel="next"``."""
    start = 0
    if after is not None:
        start = next((i + 1 for i, r in enumerate(rows) if r[key] == after), len(rows))
    page = rows[start:start + limit]
    response.headers["X-Total-Count"] = str(len(rows))
    if start + limit < len(rows) and page:
        nxt = request.url.include_query_params(after=page[-1][key], limit=limit)
        response.headers["Link"] = f'<{nxt}>; rel="next"'
    return page


@router.get("", response_model=list[SessionListItem], summary="The account's open sessions, oldest first")
def list_sessions(caller: Caller, store: Store, request: Request, response: Response, limit: Limit = PAGE,
                  after: Annotated[str | None, Query(description="the last session id of the page before")] = None,
                  ) -> list[dict]:
    return _page(session_list(store, caller.account), "id", after, limit, request, response)


_CREATE_BODY = {"required": True, "content": {
    "application/json": {"schema": SessionCreate.model_json_schema()},
    "multipart/form-data": {"schema": MidiSessionCreate.model_json_schema() | {
        "properties": {**MidiSessionCreate.model_json_schema()["properties"],
                       "file": {"type": "string", "format": "binary", "description": "a Standard MIDI File, at most 1 MB"}},
        "required": ["file", "genre"]}},
}}


@router.post("", status_code=201, response_model=SessionOut, openapi_extra={"requestBody": _CREATE_BODY},
             summary="Open a session at version 0, or from a MIDI file (version 1: its tracks)")
async def create_session(request: Request, caller: Caller, store: Store, settings: CurrentSettings,
                         links: RequestLinks, limiter: WorkLimiter) -> dict:
    """JSON: a new, empty session. Multipart, with the file in ``file``: a session made from a MIDI
    file (its tempo, metre and key; ``genre`` and optional ``key``, ``bpm``, ``sample_rate``, ``seed``),
    its tracks as stems in version 1, as ``Session.from_midi`` makes it."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        from orchestria_lab.session.midi_import import MAX_MIDI_BYTES

        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidValue("file", None, "a MIDI file in the multipart field `file`")
        fields = _validated(MidiSessionCreate, {k: v for k, v in form.items() if k != "file"})
        data = await upload.read(MAX_MIDI_BYTES + 1)
        make = partial(Session.from_midi, data, store=store, owner=caller.account, **fields.model_dump(exclude_none=True))
        return await run_work(limiter, _created, make, store, caller.account, settings.max_open_sessions, links)
    body = _validated(SessionCreate, await request.body(), json=True)
    make = partial(Session.create, **body.model_dump(), store=store, owner=caller.account)
    return await run_in_threadpool(_created, make, store, caller.account, settings.max_open_sessions, links)


def _created(make: Callable[[], Session], store: SQLiteStore, account: str, limit: int, links: Links) -> dict:
    """The session ``make()`` opens, in one of the account's ``limit`` slots, as JSON (a session from
    a MIDI file has stems to measure: made and measured in a worker thread, off the event loop)."""
    with open_session_slot(store, account, limit):
        session = make()
    return session_out(session, links)


def _validated(model: Any, data: Any, *, json: bool = False) -> Any:
    """``data`` as ``model``, or the 422 FastAPI gives a body that is not one."""
    try:
        return model.model_validate_json(data) if json else model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) from None


@router.get("/{session_id}", response_model=SessionOut, summary="A session: meta, stems, versions, agents")
def get_session(session: OwnedSession, links: RequestLinks,
                version: Annotated[int | None, Query(ge=0, description=(
                    "the meta, stems and automation as they were at this version (default: the current "
                    "one); the versions and agents are the whole history and the live state either way"))] = None,
                ) -> dict:
    return session_out(session, links, version)


@router.delete("/{session_id}", status_code=204, response_class=Response,
               summary="Close a session, freeing one of the account's open-session slots")
def close_session(session: OwnedSession, store: Store, settings: CurrentSettings) -> Response:
    store.close_session(session.id, now_iso())
    drop_exports(store, settings.data_dir, now=now_iso(), session_id=session.id)  # its exports go with it
    return Response(status_code=204)


@router.get("/{session_id}/stems", response_model=list[StemOut], summary="Stems with their download URLs")
def get_stems(session: OwnedSession, links: RequestLinks, version: Version = None) -> list[dict]:
    return stems_out(session, links, version)


@router.get("/{session_id}/notes", response_model=list[NoteOut], summary="The notes table")
def get_notes(session: OwnedSession, version: Version = None) -> Response:
    """The ``NoteOut`` rows, as :func:`~orchestria_lab.server.resources.notes_json` keeps them (built
    to the model's columns and types, so not checked against it again on every read)."""
    return Response(notes_json(session.state if version is None else session.state_at(version)),
                    media_type="application/json")


@router.get("/{session_id}/versions", response_model=list[VersionOut], summary="The version history")
def get_versions(session: OwnedSession, request: Request, response: Response,
                 diff: Annotated[bool, Query(description="add each version's diff table")] = False,
                 limit: Limit = PAGE,
                 after: Annotated[int | None, Query(ge=-1, description="the last version of the page before")] = None,
                 ) -> list[dict]:
    start = -1 if after is None else after
    rows = [{"version": r.version} for r in session.records]  # the cursor walks numbers; diffs only for the page
    page = _page(rows, "version", None if start < 0 else start, limit, request, response)
    return versions_out(session, with_diff=diff, versions=[r["version"] for r in page])


@router.get("/{session_id}/diff", response_model=list[DiffRow], summary="What changed from a to b")
def get_diff(session: OwnedSession, a: Annotated[int, Query(ge=0)],
             b: Annotated[int | None, Query(ge=0, description="default: the current version")] = None) -> list[dict]:
    return records(session.diff(a, b))


@router.post("/{session_id}/rollback", response_model=VersionOut, responses=error_responses(409),
             summary="A new version that restores an old one")
def rollback(body: RollbackRequest, session: OwnedSession) -> dict:
    return version_out(session.rollback(body.version))
