"""Sessions, stems, versions and exports as the JSON of :mod:`orchestria_lab.server.models`.

Plain functions from the session model to dicts; the routers only call them. They run in worker
threads, never on the event loop: a stem's loudness is measured on its render (once per sound and
level in this process, :class:`_Measurements`), and the big tables are built without pandas.

>>> links = Links("http://127.0.0.1:8000/", None, "key_0")
>>> links.url("/v1/sessions/ses_0123456789abcdef/stems/bass/audio", version=3)
'http://127.0.0.1:8000/v1/sessions/ses_0123456789abcdef/stems/bass/audio?version=3'
>>> plain([np.int64(2), {"a": np.float64(0.5)}, (1, None, float("nan"))])
[2, {'a': 0.5}, [1, None, None]]
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np
import pandas as pd

from orchestria_lab.server.downloads import ExportRecord, Signer
from orchestria_lab.session.session import Session
from orchestria_lab.session.store import SQLiteStore, VersionRecord
from orchestria_lab.state import State, Stem


@dataclass(frozen=True)
class Links:
    """Absolute URLs for one request: plain ones (with the bearer key) and signed ones."""

    base_url: str
    signer: Signer | None
    key_id: str

    def url(self, path: str, **params: Any) -> str:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return self.base_url.rstrip("/") + path + (f"?{query}" if query else "")

    def signed(self, path: str, **params: Any) -> str:
        assert self.signer is not None, "Links without a signer cannot sign."
        return self.base_url.rstrip("/") + self.signer.sign(path, params, self.key_id)


def plain(value: Any) -> Any:
    """``value`` with numpy scalars, tuples and NA made JSON-ready."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records (the same columns, one dict per row)."""
    columns = [str(c) for c in df.columns]
    return [dict(zip(columns, map(plain, row), strict=True))
            for row in df.astype(object).itertuples(index=False, name=None)]


class _Measurements:
    """The stems' loudness (:func:`~orchestria_lab.audio.levels.stem_loudness`), kept once measured.

    Each stem is measured by one request at a time: the requests that ask for a stem being measured
    (a command's answer and the reads that see its version come together) wait for that render and
    read what it found, instead of each rendering the same stem again at once. The stems of one
    answer still to be measured are rendered together, on the renderer's threads
    (:func:`~orchestria_lab.audio.render.dry_periods`), as a mix would be.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._guard = threading.Lock()
        self._measuring: dict[tuple, tuple[threading.Lock, list[int]]] = {}  # a lock and its users
        self._measured: OrderedDict[tuple, float] = OrderedDict()

    def __call__(self, state: State, stems: Sequence[Stem]) -> list[float]:
        """The loudness (LUFS) of each of ``stems`` as it plays in ``state``."""
        keys = [(state.meta, s.hash) for s in stems]  # everything their sound, level and pan depend on
        found = self._known(keys)
        if len(found) < len(set(keys)):
            with self._turn(sorted({k for k in keys if k not in found}, key=lambda k: k[1])):
                found |= self._known(keys)  # what was measured while this one waited
                self._measure(state, [s for s, k in zip(stems, keys, strict=True) if k not in found], found)
        return [found[k] for k in keys]

    def _known(self, keys: list[tuple]) -> dict[tuple, float]:
        with self._guard:
            for k in keys:
                if k in self._measured:
                    self._measured.move_to_end(k)
            return {k: self._measured[k] for k in keys if k in self._measured}

    def _measure(self, state: State, stems: list[Stem], found: dict[tuple, float]) -> None:
        from orchestria_lab.audio.levels import stem_loudness
        from orchestria_lab.audio.render import dry_periods

        if len(stems) > 1:
            for _ in dry_periods(state, stems):  # into the render cache, several at once
                pass
        for stem in stems:
            key = (state.meta, stem.hash)
            found[key] = stem_loudness(state, stem)
            with self._guard:
                self._measured[key] = found[key]
                while len(self._measured) > self.size:
                    self._measured.popitem(last=False)

    @contextmanager
    def _turn(self, keys: list[tuple]) -> Iterator[None]:
        """Hold the measuring locks of ``keys``, taken in one order (by stem hash) by everyone."""
        with self._guard:
            entries = [self._measuring.setdefault(k, (threading.Lock(), [0])) for k in keys]
            for _, users in entries:
                users[0] += 1
        try:
            with ExitStack() as held:
                for lock, _ in entries:
                    held.enter_context(lock)
                yield
        finally:
            with self._guard:
                for key, (_, users) in zip(keys, entries, strict=True):
                    users[0] -= 1
                    if not users[0]:
                        del self._measuring[key]


_loudness = _Measurements()


def notes_records(state: State) -> list[dict[str, Any]]:
    """``records(state.notes_table())``, built from the notes themselves: the table's columns and
    types (``int`` pitch and velocity, ``float`` start and duration) without building a DataFrame
    for it, which costs more than the rest of the answer on a song of thousands of notes."""
    return [{"stem_id": s.stem_id, "pitch": int(n.pitch), "start": float(n.start), "duration": float(n.duration),
             "velocity": int(n.velocity)} for s in state.stems for n in s.notes]


class _NotesJSON:
    """The notes table of a state as the JSON bytes of its answer, kept per notes (the stems' ids and
    notes hashes: what :func:`notes_records` reads), so that the reads of a version that has not
    moved neither build it nor have it checked against the response model again (the largest
    answer: pydantic's check of thousands of note rows costs several times building them).

    >>> from orchestria_lab.state import Meta, Note
    >>> state = State(Meta(bpm=120, key="C", genre="pop", bars=1), (Stem("bass", role="bass", instrument="sub_bass",
    ...                                                                        notes=[Note(36, 0, 1, 90)]),))
    >>> notes_json(state)
    b'[{"stem_id":"bass","pitch":36,"start":0.0,"duration":1.0,"velocity":90}]'
    >>> notes_json(state) is notes_json(state)
    True
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._kept: OrderedDict[tuple, bytes] = OrderedDict()
        self._guard = threading.Lock()

    def __call__(self, state: State) -> bytes:
        key = tuple((s.stem_id, s.notes_hash) for s in state.stems)
        with self._guard:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        body = json.dumps(notes_records(state), separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode()
        with self._guard:
            self._kept[key] = body
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return body


notes_json = _NotesJSON()


def automation_records(state: State) -> list[dict[str, Any]]:
    """``records(state.automation_table())``, built as :func:`notes_records` is."""
    return [{"stem_id": s.stem_id, "param": p.param, "beat": float(p.beat), "value": float(p.value), "curve": p.curve}
            for s in state.stems for p in s.automation]


def stem_out(session_id: str, stem: Stem, state: State, version: int, links: Links, *,
             loudness: float) -> dict[str, Any]:
    """One stem as JSON, with its ``loudness`` as measured (:data:`_loudness`)."""
    meta = state.meta
    base = f"/v1/sessions/{session_id}/stems/{quote(stem.stem_id, safe='')}"
    return {
        "id": stem.stem_id, "name": stem.name, "role": stem.role, "instrument": stem.instrument,
        "agent": stem.agent, "effects": [e.to_dict() for e in stem.effects], "level_db": stem.level_db,
        "gain_db": stem.gain_db, "loudness_lufs": round(loudness, 2) if math.isfinite(loudness) else None,
        "pan": stem.pan, "muted": stem.muted, "solo": stem.solo, "notes": len(stem.notes),
        "hash": stem.hash, "notes_hash": stem.notes_hash, "stale": stem.stem_id in state.stale,
        "version": version, "format": "wav",
        "duration_s": round(meta.duration_s, 6), "sample_rate": meta.sample_rate,
        "url": links.url(base + "/audio", version=version),
        "midi_url": links.url(base + "/midi", version=version),
        "signed_url": links.signed(base + "/audio", version=version),
    }


def stems_out(session: Session, links: Links, version: int | None = None) -> list[dict[str, Any]]:
    version = session.version if version is None else version
    state = session.state_at(version)
    measured = _loudness(state, state.stems)
    return [stem_out(session.id, s, state, version, links, loudness=lufs)
            for s, lufs in zip(state.stems, measured, strict=True)]


def version_out(record: VersionRecord, diff: pd.DataFrame | None = None) -> dict[str, Any]:
    from orchestria_lab.session.takes import chosen

    out = {k: v for k, v in record.to_dict().items() if k != "details"} | chosen(record)
    if diff is not None:
        out["diff"] = records(diff)
    return out


def versions_out(session: Session, *, with_diff: bool = False,
                 versions: list[int] | None = None) -> list[dict[str, Any]]:
    """Every version (or those numbered in ``versions``); ``with_diff`` adds each one's diff from
    the version before it (what its summary says in words; a rollback's parent is the version it
    restored)."""
    chosen = session.records if versions is None else [session.records[v] for v in versions]
    return [version_out(r, session.diff(max(r.version - 1, 0), r.version) if with_diff else None)
            for r in chosen]


def session_out(session: Session, links: Links, version: int | None = None) -> dict[str, Any]:
    """The session as JSON: meta, version, stems, versions and the agents' live state. With
    ``version``, the meta, stems and automation as they were at that version (the versions
    stay the whole history, the agents their live state)."""
    from orchestria_lab.session.conductor import agent_states

    view = session if version is None else session.at(version)
    meta = view.meta
    return {
        "id": session.id, **{k: meta[k] for k in ("bpm", "key", "genre", "time_signature", "bars",
                                                   "sample_rate", "seed")},
        "sections": meta["sections"], "tempo_changes": meta["tempo_changes"], "key_changes": meta["key_changes"],
        "automation": automation_records(view.state),
        "version": view.version, "created_at": _created_at(session),
        "stems": stems_out(session, links, view.version), "versions": versions_out(session),
        "agents": [{"name": name, "state": state} for name, state in agent_states(session.id).items()],
    }


_CREATED: OrderedDict[tuple[str, str], str] = OrderedDict()  # when each session was made: it never changes
_CREATED_LOCK = threading.Lock()


def _created_at(session: Session) -> str:
    key = (str(getattr(session.store, "path", id(session.store))), session.id)
    with _CREATED_LOCK:
        created = _CREATED.get(key)
    if created is None:
        created = session.store.session_info(session.id)["created_at"]
        with _CREATED_LOCK:
            _CREATED[key] = created
            while len(_CREATED) > 4096:
                _CREATED.popitem(last=False)
    return created


def session_list(store: SQLiteStore, account: str) -> list[dict[str, Any]]:
    """The account's open sessions, oldest first: id, version, created_at."""
    return [{"id": sid, "version": store.head(sid), "created_at": store.session_info(sid)["created_at"]}
            for sid in store.list_sessions(owner=account, open_only=True)]


def agents_out() -> list[dict[str, Any]]:
    """The agents table (name, description, capabilities, parameters, status, backend, licence), each
    row with whether that agent is working right now."""
    from orchestria_lab.agents.registry import agents_table
    from orchestria_lab.session.conductor import agent_states

    states = agent_states()
    return [{**row, "state": states.get(row["name"], "idle")} for row in records(agents_table())]


def command_out(result: Any, session: Session, links: Links) -> dict[str, Any]:
    """A conductor ``CommandResult`` as JSON: version, message, plan and diff (records), and
    ``session``, the session just after it (as :func:`session_out` gives it), so that a client
    redraws without asking again."""
    d = result.to_dict()
    out = {"version": d["version"], "message": d["message"], "plan": plain(d["plan"]),
           "diff": plain(d["diff"]), "dry_run": bool(d.get("dry_run", False)),
           "session": session_out(session, links)}
    if getattr(result, "candidates", None) is not None:
        out["candidates"] = candidates_out(session, result.version, result.candidates, links)
    return out


def candidates_out(session: Session, version: int, table: pd.DataFrame, links: Links) -> list[dict[str, Any]]:
    """A variations version's candidates (:meth:`Session.candidates`) as JSON, each with its audio's URLs."""
    from orchestria_lab.eval.critic import METRICS

    out = []
    for row in records(table):
        path = f"/v1/sessions/{session.id}/versions/{version}/candidates/{row['candidate']}/audio"
        out.append({**{k: row[k] for k in ("candidate", "label", "seed", "score", "chosen", "note", "stems")},
                    "scores": {m: row[m] for m in METRICS}, "version": version,
                    "audio_url": links.url(path), "signed_audio_url": links.signed(path)})
    return out


def export_out(record: ExportRecord, links: Links) -> dict[str, Any]:
    files = []
    for name, size in record.files:
        path = f"/v1/exports/{record.id}/files/{quote(name)}"
        files.append({"name": name, "bytes": size, "url": links.url(path), "signed_url": links.signed(path)})
    return {"id": record.id, "session_id": record.session_id, "version": record.version,
            "format": record.format, "created_at": record.created_at, "expires_at": record.expires_at,
            "files": files}
