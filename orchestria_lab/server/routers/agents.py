"""The orchestra: agents, capabilities, parameters, status and live state."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from orchestria_lab.server.deps import require_key
from orchestria_lab.server.models import AgentOut
from orchestria_lab.server.resources import agents_out
from orchestria_lab.server.routers import error_responses

router = APIRouter(prefix="/v1/agents", tags=["agents"], dependencies=[Depends(require_key)],
                   responses=error_responses(400, 401, 413, 422, 429))


@router.get("", response_model=list[AgentOut], summary="The agents and what each can do")
def list_agents() -> list[dict]:
    return agents_out()
