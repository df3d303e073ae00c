"""The Python client of the REST shim: remote sessions with the same verbs and tables.

A notebook switches between local and remote in one line::

    session = Session.create(bpm=90, key="Cm", genre="lo-fi")                 # local
    session = Client("http://127.0.0.1:8000", KEY).create(bpm=90, key="Cm", genre="lo-fi")

and then ``session.command(...)``, ``.stems``, ``.notes``, ``.versions``, ``.diff(a, b)``,
``.rollback(v)``, ``.export(path)`` and ``.render()`` work the same on both.

Errors mirror the server's: each ``{"error": {"code", ...}}`` answer raises the toolkit's
exception of that code (``NotFound``, ``InvalidValue``, ``CommandNotUnderstood`` with its
``suggestions``, ``RateLimited`` with its ``retry_after`` ...).

>>> err = error_from_body(404, {"code": "not_found", "message": "No session 'ses_0'.", "kind": "session"})
>>> type(err).__name__, err.status, err.details["kind"]
('NotFound', 404, 'session')
>>> error_from_body(418, {"code": "teapot", "message": "short and stout"})
ApiError(418, 'teapot', 'short and stout')
"""

from __future__ import annotations

import io
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pandas as pd

from orchestria_lab import __version__
from orchestria_lab.errors import (
    CommandNotUnderstood,
    InvalidValue,
    OrchestriaError,
    VersionConflict,
)
from orchestria_lab.server import errors as server_errors  # its classes join the lookup by code
from orchestria_lab.session.history import DIFF_COLUMNS
from orchestria_lab.session.store import VersionRecord
from orchestria_lab.state import (
    AUTOMATION_COLUMNS,
    NOTE_COLUMNS,
    SECTION_COLUMNS,
    STEM_TABLE_COLUMNS,
)

#: How often a call that met a version conflict (nothing written) is sent again.
CONFLICT_RETRIES = 3
#: How long a call waits, retrying, for a session busy with another command (seconds).
BUSY_PATIENCE_S = 60.0

__all__ = ["ApiError", "Client", "RemoteCommandResult", "RemoteEvent", "RemoteSession", "error_from_body"]

# As orchestria_lab.audio.export names them (not imported: it would load torch into the client).
_SUFFIX_FORMATS = {".wav": "wav", ".flac": "flac", ".mp3": "mp3", ".mid": "midi", ".midi": "midi"}
_FORMAT_SUFFIXES = {"wav": ".wav", "flac": ".flac", "mp3": ".mp3", "midi": ".mid"}
_MANIFEST_SUFFIX = ".manifest.json"
VERSION_COLUMNS = ["version", "parent", "kind", "restores", "command", "agents", "summary", "created_at"]
#: As ``orchestria_lab.agents.registry.TABLE_COLUMNS`` (not imported: it loads every agent).
AGENT_COLUMNS = ("name", "description", "capabilities", "parameters", "status", "backend")


class ApiError(OrchestriaError):
    """An error answer whose code this client does not know (a newer server, a proxy)."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.status, self.code = status, code

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code!r}, {self.message!r})"


def _error_classes() -> dict[str, type[OrchestriaError]]:
    classes: dict[str, type[OrchestriaError]] = {}
    pending = [OrchestriaError]
    while pending:
        cls = pending.pop()
        classes.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    classes.pop(ApiError.code, None)
    return classes


def error_from_body(status: int, body: dict[str, Any]) -> OrchestriaError:
    """The exception an error answer stands for: the toolkit's class of that code if there
    is one (built without its constructor, with the server's message and details)."""
    details = {k: v for k, v in body.items() if k not in ("code", "message")}
    code, message = str(body.get("code", f"http_{status}")), str(body.get("message", ""))
    cls = _error_classes().get(code)
    if cls is None or cls.status != status:
        return ApiError(status, code, message, **details)
    err = cls.__new__(cls)
    OrchestriaError.__init__(err, message, **details)
    if isinstance(err, CommandNotUnderstood):
        err.understood, err.suggestions = details.get("understood", []), details.get("suggestions", [])
    if isinstance(err, server_errors.RateLimited):
        err.retry_after = int(details.get("retry_after", 1))
    return err


def _busy(response: httpx.Response) -> bool:
    """A 409 ``session_busy``: nothing ran; the same request may be sent again shortly."""
    if response.status_code != 409:
        return False
    try:
        return response.json()["error"]["code"] == "session_busy"
    except (ValueError, KeyError, TypeError):
        return False


def _retryable_conflict(response: httpx.Response) -> bool:
    if response.status_code != 409:
        return False
    try:
        body = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return body.get("code") == VersionConflict.code and body.get("retryable", True) is not False


def _raise_for_error(response: httpx.Response) -> None:
    if response.is_success:
        return
    response.read()
    try:
        body = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        body = {"code": f"http_{response.status_code}", "message": response.text[:500]}
    raise error_from_body(response.status_code, body)


@dataclass(frozen=True)
class RemoteEvent:
    """One conductor event as streamed by the server: ``type`` and its JSON ``data``."""

    type: str
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "data": self.data}


@dataclass(frozen=True)
class RemoteCommandResult:
    """What a command did: the new version, a message, the plan that ran and the diff."""

    version: int | None
    message: str
    plan: list[dict[str, Any]] = field(default_factory=list)
    diff: pd.DataFrame = field(default_factory=lambda: _diff_table([]))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RemoteCommandResult:
        return cls(d.get("version"), d.get("message", ""), list(d.get("plan", [])), _diff_table(d.get("diff", [])))

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "message": self.message, "plan": self.plan,
                "diff": self.diff.astype(object).where(self.diff.notna(), None).to_dict("records")}


def _diff_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(DIFF_COLUMNS), dtype=object)
    return df.astype({"notes_added": "int64", "notes_removed": "int64"})


def _sse_events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """``(event, data)`` pairs from the lines of a ``text/event-stream``."""
    kind, data = "message", []
    for line in lines:
        if line == "":
            if data:
                yield kind, "\n".join(data)
            kind, data = "message", []
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


class Client:
    """A connection to an Orchestria Lab server, acting for one API key.

    ``Client(base_url, api_key)``; use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 120.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": f"orchestria-lab/{__version__}"})

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections (the sessions stay open on the server)."""
        self._http.close()

    def __repr__(self) -> str:
        return f"<Client {self.base_url}>"

    # plumbing -----------------------------------------------------------------------------
    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """One API call; an error answer raises its typed exception.

        A ``409 version_conflict`` means another writer got there first and nothing was
        written, so the call is retried a few times, with a little jitter, before the
        conflict is raised; a conflict the server marks ``retryable: false`` (an undo whose
        head moved) is raised at once.
        """
        deadline = time.monotonic() + BUSY_PATIENCE_S
        attempt = 0
        while True:
            response = self._http.request(method, path, **kw)
            if attempt < CONFLICT_RETRIES and _retryable_conflict(response):
                attempt += 1
                time.sleep(random.uniform(0, 0.05 * attempt))
                continue
            if _busy(response) and time.monotonic() < deadline:  # the session runs another command
                time.sleep(min(2.0, float(response.headers.get("Retry-After", "1"))) * random.uniform(0.5, 1.0))
                continue
            break
        _raise_for_error(response)
        return response

    def json(self, method: str, path: str, **kw: Any) -> Any:
        return self.request(method, path, **kw).json()

    def all_pages(self, path: str, **params: Any) -> list[Any]:
        """Every row of a paged list (``limit``/``after``), following its ``Link: rel="next"``."""
        rows: list[Any] = []
        response = self.request("GET", path, params={"limit": 1000, **params})
        while True:
            rows += response.json()
            nxt = response.links.get("next", {}).get("url")
            if not nxt:
                return rows
            response = self.request("GET", nxt)

    def download(self, url: str, dest: str | Path) -> Path:
        """Fetch ``url`` (a file URL the API gave) into ``dest``, streaming."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with self._http.stream("GET", url) as response:
            _raise_for_error(response)
            with open(dest, "wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        return dest

    # sessions -----------------------------------------------------------------------------
    def create(self, *, bpm: float, key: str, genre: str, time_signature: str = "4/4", bars: int = 8,
               sample_rate: int = 44100, seed: int | None = None) -> RemoteSession:
        """A new session on the server, like :meth:`Session.create`."""
        body = {"bpm": bpm, "key": key, "genre": genre, "time_signature": time_signature,
                "bars": bars, "sample_rate": sample_rate, "seed": seed}
        return RemoteSession(self, self.json("POST", "/v1/sessions", json=body))

    def from_midi(self, path: str | Path | bytes, *, genre: str, key: str | None = None, bpm: float | None = None,
                  sample_rate: int = 44100, seed: int | None = None) -> RemoteSession:
        """A new session on the server made from a MIDI file, like :meth:`Session.from_midi`."""
        data = path if isinstance(path, bytes) else Path(path).read_bytes()
        name = "session.mid" if isinstance(path, bytes) else Path(path).name
        form = {k: str(v) for k, v in (("genre", genre), ("key", key), ("bpm", bpm), ("sample_rate", sample_rate),
                                         ("seed", seed)) if v is not None}
        return RemoteSession(self, self.json("POST", "/v1/sessions", files={"file": (name, data, "audio/midi")},
                                             data=form))

    def open(self, session_id: str) -> RemoteSession:
        """An existing session of this account, like :meth:`Session.open`."""
        return RemoteSession(self, self.json("GET", f"/v1/sessions/{session_id}"))

    def sessions(self) -> pd.DataFrame:
        """This account's open sessions: id, version, created_at."""
        return pd.DataFrame(self.all_pages("/v1/sessions"), columns=["id", "version", "created_at"])

    def agents(self) -> pd.DataFrame:
        """The server's agents, the table :func:`orchestria_lab.agents` gives locally."""
        return pd.DataFrame(self.json("GET", "/v1/agents"), columns=list(AGENT_COLUMNS))


class RemoteSession:
    """A session on a server, with the verbs and tables of :class:`Session`."""

    def __init__(self, client: Client, data: dict[str, Any]) -> None:
        self.client, self._data = client, data

    # attributes ---------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._data["id"]

    @property
    def version(self) -> int:
        return self._data["version"]

    @property
    def meta(self) -> dict[str, Any]:
        meta = {k: self._data[k] for k in ("bpm", "key", "genre", "time_signature", "bars", "sample_rate", "seed")}
        meta["bpm"] = int(meta["bpm"]) if float(meta["bpm"]).is_integer() else meta["bpm"]
        for name in ("sections", "tempo_changes", "key_changes"):
            meta[name] = [dict(s) for s in self._data.get(name, [])]
        return meta

    @property
    def automation(self) -> pd.DataFrame:
        """Every stem's automation points, the columns of :attr:`Session.automation`."""
        return pd.DataFrame(self._data.get("automation", []), columns=list(AUTOMATION_COLUMNS)).astype(
            {"beat": "float64", "value": "float64"})

    @property
    def sections(self) -> pd.DataFrame:
        """The song form, the columns of :attr:`Session.sections`."""
        from orchestria_lab.music.tempo import KeyChange, key_at

        meta = self.meta
        changes = [KeyChange(**c) for c in meta["key_changes"]]
        rows = [{**s, "last_bar": s["start_bar"] + s["bars"] - 1, "key": key_at(changes, bar=s["start_bar"], key=meta["key"])}
                for s in meta["sections"]]
        return pd.DataFrame(rows, columns=list(SECTION_COLUMNS)).astype(
            {"start_bar": "int64", "bars": "int64", "last_bar": "int64"})

    bpm = property(lambda self: self.meta["bpm"])
    key = property(lambda self: self._data["key"])
    genre = property(lambda self: self._data["genre"])
    time_signature = property(lambda self: self._data["time_signature"])
    bars = property(lambda self: self._data["bars"])
    sample_rate = property(lambda self: self._data["sample_rate"])
    seed = property(lambda self: self._data["seed"])

    def _path(self, tail: str = "") -> str:
        return f"/v1/sessions/{self.id}{tail}"

    def refresh(self) -> RemoteSession:
        """Catch up with the server (versions made elsewhere, agents' state)."""
        self._data = self.client.json("GET", self._path())
        return self

    @property
    def agent_states(self) -> dict[str, str]:
        """Each agent's live state (``idle`` or ``working``), as of the last refresh."""
        return {a["name"]: a["state"] for a in self._data.get("agents", [])}

    # tables -------------------------------------------------------------------------------
    def stems_json(self, version: int | None = None) -> list[dict[str, Any]]:
        """The stems as the API gives them, with ``url``, ``midi_url`` and ``signed_url``."""
        return self.client.json("GET", self._path("/stems"), params=_params(version=version))

    @property
    def stems(self) -> pd.DataFrame:
        """One row per stem, the columns of :attr:`Session.stems`."""
        rows = [{**s, "stem_id": s["id"]} for s in self.stems_json()]
        return pd.DataFrame(rows, columns=list(STEM_TABLE_COLUMNS)).astype({"loudness_lufs": "float64"})

    @property
    def notes(self) -> pd.DataFrame:
        """One row per note, the columns and dtypes of :attr:`Session.notes`."""
        df = pd.DataFrame(self.client.json("GET", self._path("/notes")), columns=list(NOTE_COLUMNS))
        return df.astype({"pitch": "int64", "start": "float64", "duration": "float64", "velocity": "int64"})

    @property
    def records(self) -> list[VersionRecord]:
        return [VersionRecord(**{k: v for k, v in r.items() if k != "diff"} | {"agents": tuple(r["agents"])})
                for r in self.client.all_pages(self._path("/versions"))]

    @property
    def versions(self) -> pd.DataFrame:
        """Every version ever made, the columns of :attr:`Session.versions`."""
        rows = self.client.all_pages(self._path("/versions"))
        df = pd.DataFrame(rows, columns=VERSION_COLUMNS)
        return df.astype({"version": "int64", "parent": "Int64", "restores": "Int64"})

    def diff(self, a: int, b: int | None = None) -> pd.DataFrame:
        """What changed from version ``a`` to ``b`` (default: the current version)."""
        return _diff_table(self.client.json("GET", self._path("/diff"), params=_params(a=a, b=b)))

    # writing ------------------------------------------------------------------------------
    def command(self, text: str, *, dry_run: bool = False,
                on_event: Callable[[RemoteEvent], Any] | None = None) -> RemoteCommandResult:
        """Run a command on the server. ``on_event`` receives the conductor's events live."""
        body = {"text": text, "dry_run": dry_run}
        if on_event is None:
            result = RemoteCommandResult.from_dict(self.client.json("POST", self._path("/command"), json=body))
        else:
            result = self._stream_command(body, on_event)
        if result.version is not None and not dry_run:
            self._data["version"] = result.version
        return result

    def _stream_command(self, body: dict[str, Any], on_event: Callable[[RemoteEvent], Any]) -> RemoteCommandResult:
        with self.client._http.stream("POST", self._path("/command"), json=body,
                                      headers={"Accept": "text/event-stream"}) as response:
            _raise_for_error(response)
            for kind, data in _sse_events(response.iter_lines()):
                payload = json.loads(data)
                if kind == "result":
                    return RemoteCommandResult.from_dict(payload)
                if kind == "error":  # the stream's last event: the error the JSON answer would be
                    error = dict(payload.get("data", {}))
                    raise error_from_body(int(error.pop("status", 500)), error)
                on_event(RemoteEvent(kind, payload.get("data", payload)))  # the event's own data, as locally
        raise ApiError(502, "stream_cut", "The event stream ended before the command's result.")

    def import_midi(self, path: str | Path | bytes, *, role: str | None = None, name: str | None = None,
                    filename: str | None = None) -> RemoteCommandResult:
        """Add a MIDI file's tracks as stems, like :meth:`Session.import_midi` (``POST .../import``)."""
        data = path if isinstance(path, bytes) else Path(path).read_bytes()
        filename = filename or ("import.mid" if isinstance(path, bytes) else Path(path).name)
        form = {k: v for k, v in (("role", role), ("name", name)) if v is not None}
        payload = self.client.json("POST", self._path("/import"), files={"file": (filename, data, "audio/midi")},
                                   data=form)
        self._data["version"] = payload["version"]
        return RemoteCommandResult.from_dict(payload)

    def rollback(self, version: int) -> VersionRecord:
        """Append a version equal to ``version``, like :meth:`Session.rollback`."""
        r = self.client.json("POST", self._path("/rollback"), json={"version": version})
        self._data["version"] = r["version"]
        return VersionRecord(**{k: v for k, v in r.items() if k != "diff"} | {"agents": tuple(r["agents"])})

    def close(self) -> None:
        """Close the session on the server (DELETE), freeing one of the account's slots."""
        self.client.request("DELETE", self._path())

    # audio --------------------------------------------------------------------------------
    def export(self, path: str | Path, *, stems: bool | list[str] = False, version: int | None = None,
               format: str | None = None, loudness: float | str | None = None) -> list[Path]:
        """Export on the server and download what it wrote, laid out as :meth:`Session.export`
        lays it out: the mix at ``path`` with its manifest beside it, or with ``stems`` one
        file per stem and ``manifest.json`` in the folder ``path``. Returns the paths, manifest last."""
        path = Path(path)
        if stems is False:
            format = format or _SUFFIX_FORMATS.get(path.suffix.lower())
            if format is None:
                raise InvalidValue("format", path.suffix or "(none)",
                                   "one of wav, flac, mp3, midi (from the file suffix or format=)")
            path = path if path.suffix else path.with_suffix(_FORMAT_SUFFIXES[format])
        export = self.client.json("POST", self._path("/export"),
                                  json={"format": format or "wav", "stems": stems, "version": version,
                                        **({"loudness": loudness} if loudness is not None else {})})
        written = []
        for f in export["files"]:
            name = PurePosixPath(f["name"]).name
            if stems is not False:
                dest = path / name
            elif name.endswith(_MANIFEST_SUFFIX):
                dest = path.with_name(path.name + _MANIFEST_SUFFIX)
            else:
                dest = path
            written.append(self.client.download(f["url"], dest))
        return written

    def _audio(self, tail: str, version: int | None) -> np.ndarray:
        import soundfile

        blob = self.client.request("GET", self._path(tail), params=_params(version=version, format="wav")).content
        audio, _ = soundfile.read(io.BytesIO(blob), dtype="float32", always_2d=True)
        return np.ascontiguousarray(audio.T)

    def render(self, *, version: int | None = None) -> np.ndarray:
        """The mix of ``version`` (default current) as float32, shape ``(channels, samples)``."""
        return self._audio("/audio", version)

    def render_stem(self, stem_id: str, *, version: int | None = None) -> np.ndarray:
        """One stem's audio, shape ``(channels, samples)``."""
        return self._audio(f"/stems/{quote(stem_id, safe='')}/audio", version)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Displays like a local session in Jupyter (summary, stems table, player)."""
        from orchestria_lab.widgets.display import mimebundle

        return mimebundle(self)

    def __repr__(self) -> str:
        return (f"<RemoteSession {self.id} v{self.version} at {self.client.base_url}: {self.bpm} bpm, "
                f"{self.key}, {self.genre}, {len(self._data.get('stems', []))} stems>")


def _params(**params: Any) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}
