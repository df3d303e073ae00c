"""Commands in plain words; JSON by default, server-sent events on ``Accept: text/event-stream``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from orchestria_lab.server.deps import (
    Caller,
    CurrentSettings,
    OpenSessions,
    OwnedSession,
    RequestLinks,
    Store,
    WorkLimiter,
    require_key,
)
from orchestria_lab.server.models import CommandRequest, CommandResultOut
from orchestria_lab.server.resources import Links, command_out, records, session_out
from orchestria_lab.server.routers import COMMON_ERRORS, error_responses
from orchestria_lab.server.streaming import CommandStream, command_events
from orchestria_lab.server.work import claimed_slot, run_work
from orchestria_lab.session.session import Session

router = APIRouter(prefix="/v1/sessions", tags=["commands"], dependencies=[Depends(require_key)],
                   responses=COMMON_ERRORS)

_STREAM = {
    "description": "The command result, with the session after it; with `Accept: text/event-stream`, the "
                   "conductor's events (plan, agent_started, agent_finished, version_created, error) ending "
                   "with `result`.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


@router.post("/{session_id}/command", response_model=CommandResultOut,
             responses={200: _STREAM, **error_responses(409)}, summary="Run a command in plain words")
async def command(body: CommandRequest, session: OwnedSession, caller: Caller, store: Store,
                  settings: CurrentSettings, limiter: WorkLimiter, links: RequestLinks,
                  request: Request) -> CommandStream | dict[str, Any]:
    slot = claimed_slot(store, session.id, caller.account, per_account=settings.commands_per_account)
    await slot.__aenter__()  # refused (409, 429) before anything runs or streams
    if "text/event-stream" in request.headers.get("accept", ""):
        return CommandStream(_holding(slot, command_events(session, body.text, dry_run=body.dry_run,
                                                           links=links, limiter=limiter)),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    try:
        # the answer is built beside the command, off the event loop: the session after it
        # measures the loudness of the stems the command changed (a render each)
        return await run_work(limiter, _command_answer, session, body, links, request.app.state.open_sessions)
    finally:
        await slot.__aexit__(None, None, None)


def _command_answer(session: Session, body: CommandRequest, links: Links, kept: OpenSessions) -> dict[str, Any]:
    result = session.command(body.text, dry_run=body.dry_run)
    kept.keep(session)  # the reads of the new version find it here, not in the store
    return command_out(result, session, links)


async def _holding(slot: AbstractAsyncContextManager, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        async for event in events:
            yield event
    finally:
        await slot.__aexit__(None, None, None)


@router.post("/{session_id}/import", response_model=CommandResultOut, responses=error_responses(409, 413),
             summary="Add a MIDI file's tracks as stems")
async def import_midi(session: OwnedSession, caller: Caller, store: Store, settings: CurrentSettings,
                      limiter: WorkLimiter, links: RequestLinks,
                      file: Annotated[UploadFile, File(description="a Standard MIDI File, at most 1 MB")],
                      role: Annotated[str | None, Form(description="the role of every track (default: guessed)")] = None,
                      name: Annotated[str | None, Form(description="what to name the stems")] = None) -> dict[str, Any]:
    """Like a command: one version (of kind ``import``) whose message says each track's guessed role;
    a bad file makes none and says what is wrong (not MIDI, empty, no notes, format 2, a tempo out of
    range, notes past 256 bars: 422; over 1 MB: 413)."""
    from orchestria_lab.session.midi_import import MAX_MIDI_BYTES

    data = await file.read(MAX_MIDI_BYTES + 1)
    async with claimed_slot(store, session.id, caller.account, per_account=settings.commands_per_account):
        return await run_work(limiter, _import_answer, session, data, role=role, name=name,
                              filename=file.filename, links=links)


def _import_answer(session: Session, data: bytes, *, role: str | None, name: str | None,
                   filename: str | None, links: Links) -> dict[str, Any]:
    record = session.import_midi(data, role=role, name=name, filename=filename)
    diff = session.diff(record.version - 1, record.version)
    return {"version": record.version, "message": record.summary, "plan": [], "diff": records(diff), "dry_run": False,
            "session": session_out(session, links)}
