"""Files: stem and mix audio, stem MIDI, export files. A bearer key or a signed URL opens them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from orchestria_lab.server.deps import (
    Caller,
    CurrentSettings,
    OwnedSession,
    Store,
    WorkLimiter,
    require_key_or_signature,
)
from orchestria_lab.server.disk import unpin
from orchestria_lab.server.downloads import FORMATS, export_file, load_export, rendered_file
from orchestria_lab.server.models import AudioFormat
from orchestria_lab.server.routers import error_responses
from orchestria_lab.server.work import run_work

MEDIA_TYPES = {".wav": "audio/wav", ".flac": "audio/flac", ".mp3": "audio/mpeg", ".mid": "audio/midi",
               ".json": "application/json"}

_FILE = {200: {"description": "the file", "content": {t: {} for t in MEDIA_TYPES.values()}}}
router = APIRouter(tags=["downloads"], dependencies=[Depends(require_key_or_signature)],
                   responses={**_FILE, **error_responses(400, 401, 403, 404, 413, 422, 429)})

Version = Annotated[int | None, Query(ge=0, description="default: the current version")]


def _file(path: Path, download_name: str, *, pinned: bool = False) -> FileResponse:
    """``path`` sent inline; a ``pinned`` link (a cached render) is let go once sent."""
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
                        filename=download_name, content_disposition_type="inline",
                        background=BackgroundTask(unpin, path) if pinned else None)


def _name(session_id: str, version: int, part: str, fmt: str) -> str:
    return f"{session_id}-v{version}-{part}.{FORMATS[fmt]}"


@router.get("/v1/sessions/{session_id}/audio", response_class=FileResponse, summary="The mix")
async def mix_audio(session: OwnedSession, settings: CurrentSettings, limiter: WorkLimiter, version: Version = None,
                    format: AudioFormat = "wav") -> FileResponse:
    version = session.version if version is None else version
    path = await run_work(limiter, rendered_file, session, version=version, fmt=format, cache_dir=settings.data_dir / "renders",
                         cache_mb=settings.render_cache_mb)
    return _file(path, _name(session.id, version, "mix", format), pinned=True)


@router.get("/v1/sessions/{session_id}/stems/{stem_id}/audio", response_class=FileResponse,
            summary="One stem's audio")
async def stem_audio(stem_id: str, session: OwnedSession, settings: CurrentSettings, limiter: WorkLimiter,
                     version: Version = None, format: AudioFormat = "wav") -> FileResponse:
    version = session.version if version is None else version
    path = await run_work(limiter, rendered_file, session, version=version, fmt=format, cache_dir=settings.data_dir / "renders",
                         stem_id=stem_id, cache_mb=settings.render_cache_mb)
    return _file(path, _name(session.id, version, stem_id, format), pinned=True)


@router.get("/v1/sessions/{session_id}/stems/{stem_id}/midi", response_class=FileResponse,
            summary="One stem as a MIDI file")
async def stem_midi(stem_id: str, session: OwnedSession, settings: CurrentSettings, limiter: WorkLimiter,
                    version: Version = None) -> FileResponse:
    version = session.version if version is None else version
    path = await run_work(limiter, rendered_file, session, version=version, fmt="midi", cache_dir=settings.data_dir / "renders",
                         stem_id=stem_id, cache_mb=settings.render_cache_mb)
    return _file(path, _name(session.id, version, stem_id, "midi"), pinned=True)


@router.get("/v1/exports/{export_id}/files/{name:path}", response_class=FileResponse,
            summary="A file of an export")
def export_download(export_id: str, name: str, caller: Caller, store: Store,
                    settings: CurrentSettings) -> FileResponse:
    record = load_export(store, export_id, caller.account)
    return _file(export_file(record, name, settings.data_dir), Path(name).name)
