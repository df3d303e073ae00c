"""Exports: write the mix or stems in a format, counted against the account's daily quota."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from orchestria_lab.server.deps import (
    Caller,
    CurrentSettings,
    OwnedSession,
    RequestLinks,
    Store,
    require_key,
)
from orchestria_lab.server.disk import drop_exports
from orchestria_lab.server.downloads import create_export, load_export
from orchestria_lab.server.limits import export_allowance
from orchestria_lab.server.models import ExportOut, ExportRequest
from orchestria_lab.server.resources import export_out
from orchestria_lab.server.routers import COMMON_ERRORS
from orchestria_lab.session.session import now_iso

router = APIRouter(tags=["exports"], dependencies=[Depends(require_key)], responses=COMMON_ERRORS)


@router.post("/v1/sessions/{session_id}/export", status_code=201, response_model=ExportOut,
             summary="Export the mix or stems as WAV, FLAC, MP3 or MIDI")
def export(body: ExportRequest, session: OwnedSession, caller: Caller, store: Store,
           settings: CurrentSettings, links: RequestLinks) -> dict:
    with export_allowance(store, caller.account, settings.exports_per_day):
        record = create_export(store, session, caller.account, fmt=body.format, stems=body.stems,
                               version=body.version, data_dir=settings.data_dir, ttl_days=settings.export_ttl_days,
                               loudness=body.loudness)
    drop_exports(store, settings.data_dir, now=now_iso())  # what has expired goes as new ones come
    return export_out(record, links)


@router.get("/v1/exports/{export_id}", response_model=ExportOut, summary="An export and its files")
def get_export(export_id: str, caller: Caller, store: Store, links: RequestLinks) -> dict:
    return export_out(load_export(store, export_id, caller.account), links)
