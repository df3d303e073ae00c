"""Commands in plain words; JSON by default, server-sent events on ``Accept: text/event-stream``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from orchestria_lab.server.deps import OwnedSession, require_key
from orchestria_lab.server.models import CommandRequest, CommandResultOut
from orchestria_lab.server.resources import command_out
from orchestria_lab.server.routers import COMMON_ERRORS, error_responses
from orchestria_lab.server.streaming import command_events

router = APIRouter(prefix="/v1/sessions", tags=["commands"], dependencies=[Depends(require_key)],
                   responses=COMMON_ERRORS)

_STREAM = {
    "description": "The command result; with `Accept: text/event-stream`, the conductor's events "
                   "(plan, agent_started, agent_finished, version_created, error) ending with `result`.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


@router.post("/{session_id}/command", response_model=CommandResultOut,
             responses={200: _STREAM, **error_responses(409)}, summary="Run a command in plain words")
async def command(body: CommandRequest, session: OwnedSession,
                  request: Request) -> StreamingResponse | dict[str, Any]:
    if "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(command_events(session, body.text, dry_run=body.dry_run),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    result = await run_in_threadpool(session.command, body.text, dry_run=body.dry_run)
    return command_out(result)
