"""Variations: a variations command's candidates, their audio, and choosing one (``POST .../choose``).

"give me 4 variations of the melody" goes through ``POST .../command`` like any command; its result
lists the candidates (best first) with their scores and audio URLs. ``POST .../choose`` makes one of
them the new version, as "take the second one" does.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from orchestria_lab.server.deps import (
    Caller,
    CurrentSettings,
    OwnedSession,
    RequestLinks,
    Store,
    WorkLimiter,
    require_key,
    require_key_or_signature,
)
from orchestria_lab.server.disk import pin, touch, unpin
from orchestria_lab.server.models import CandidateOut, ChooseRequest, CommandResultOut
from orchestria_lab.server.resources import Links, candidates_out, command_out
from orchestria_lab.server.routers import COMMON_ERRORS, error_responses
from orchestria_lab.server.work import claimed_slot, run_work
from orchestria_lab.session.session import Session

router = APIRouter(prefix="/v1/sessions", tags=["variations"], responses=COMMON_ERRORS)

Version = PathParam(ge=0, description="a version made by a variations command")
Candidate = PathParam(ge=1, description="the candidate, from 1, best first")


@router.post("/{session_id}/choose", response_model=CommandResultOut, dependencies=[Depends(require_key)],
             responses=error_responses(409), summary="Make one of a variations command's candidates the new version")
async def choose(body: ChooseRequest, session: OwnedSession, caller: Caller, store: Store, settings: CurrentSettings,
                 limiter: WorkLimiter, links: RequestLinks) -> dict[str, Any]:
    """One version, of kind ``choose``, playing the candidate's take of the varied parts; the others stay
    retrievable. A candidate out of range, or a version without candidates, is a 422 that says what
    would be valid; the candidate playing already is a 422 too (nothing would change)."""
    async with claimed_slot(store, session.id, caller.account, per_account=settings.commands_per_account):
        return await run_work(limiter, _choose_answer, session, body, links)


def _choose_answer(session: Session, body: ChooseRequest, links: Links) -> dict[str, Any]:
    return command_out(session.choose(body.candidate, version=body.version), session, links)


@router.get("/{session_id}/versions/{version}/candidates", response_model=list[CandidateOut],
            dependencies=[Depends(require_key)], summary="The candidates of a variations version, best first")
async def candidates(session: OwnedSession, links: RequestLinks, limiter: WorkLimiter,
                     version: int = Version) -> list[dict[str, Any]]:
    return await run_work(limiter, lambda: candidates_out(session, version, session.candidates(version), links))


@router.get("/{session_id}/versions/{version}/candidates/{candidate}/audio", response_class=FileResponse,
            dependencies=[Depends(require_key_or_signature)], summary="The mix as one candidate plays it",
            responses={200: {"description": "the WAV file", "content": {"audio/wav": {}}},
                       **error_responses(401, 403)})
async def candidate_audio(session: OwnedSession, settings: CurrentSettings, limiter: WorkLimiter,
                          version: int = Version, candidate: int = Candidate) -> FileResponse:
    link = await run_work(limiter, candidate_file, session, version, candidate, settings.data_dir / "renders")
    return FileResponse(link, media_type="audio/wav", filename=f"{session.id}-v{version}-take{candidate}.wav",
                        content_disposition_type="inline", background=BackgroundTask(unpin, link))


def candidate_file(session: Session, version: int, candidate: int, cache_dir: Path) -> Path:
    """The candidate's mix as a WAV, rendered once and cached by what its sound depends on (a link to
    send it from: unpin it once sent)."""
    from orchestria_lab.audio.export import export_state
    from orchestria_lab.audio.render import ENGINE_VERSION

    state = session.candidate_state(candidate, version=version)
    sound = {k: v for k, v in state.meta.to_dict().items() if k != "sections"}
    identity = json.dumps([ENGINE_VERSION, sound, [s.hash for s in state.stems], None, "wav"])
    target = cache_dir / f"{hashlib.sha256(identity.encode()).hexdigest()[:32]}.wav"
    if target.exists():
        touch(target)
        if (link := pin(target, cache_dir.parent)) is not None:
            return link
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        (written,) = [p for p in export_state(state, Path(tmp) / "take.wav", format="wav") if p.suffix == ".wav"]
        os.replace(written, target)
        link = pin(target, cache_dir.parent)
    if link is None:
        raise FileNotFoundError(f"the render of candidate {candidate} went before it could be sent")
    return link
