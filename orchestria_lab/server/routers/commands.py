"""Commands in plain words; JSON by default, server-sent events on ``Accept: text/event-stream``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import StreamingResponse

from orchestria_lab.server.deps import (
    Caller,
    CurrentSettings,
    OwnedSession,
    RequestLinks,
    Store,
    WorkLimiter,
    require_key,
)
from orchestria_lab.server.models import CommandRequest, CommandResultOut
from orchestria_lab.server.resources import command_out, records, session_out
from orchestria_lab.server.routers import COMMON_ERRORS, error_responses
from orchestria_lab.server.streaming import command_events
from orchestria_lab.server.work import command_slot, run_work

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
                  request: Request) -> StreamingResponse | dict[str, Any]:
    slot = command_slot(store, session.id, caller.account, per_account=settings.commands_per_account)
    if "text/event-stream" in request.headers.get("accept", ""):
        slot.__enter__()  # refused (409, 429) before the stream starts; held until it ends
        return StreamingResponse(_holding(slot, command_events(session, body.text, dry_run=body.dry_run,
                                                               links=links, limiter=limiter)),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    with slot:
        result = await run_work(limiter, session.command, body.text, dry_run=body.dry_run)
    return command_out(result, session, links)


async def _holding(slot: AbstractContextManager, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        async for event in events:
            yield event
    finally:
        slot.__exit__(None, None, None)


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
    with command_slot(store, session.id, caller.account, per_account=settings.commands_per_account):
        record = await run_work(limiter, session.import_midi, data, role=role, name=name, filename=file.filename)
    diff = session.diff(record.version - 1, record.version)
    return {"version": record.version, "message": record.summary, "plan": [], "diff": records(diff), "dry_run": False,
            "session": session_out(session, links)}
