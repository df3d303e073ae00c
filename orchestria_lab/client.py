"""The Python client of the REST shim: remote sessions with the same verbs and tables.

A notebook switches between local and remote in one line::

    session = Session.create(bpm=90, key="Cm", genre="lo-fi")                 # local
    session = Client("http://127.0.0.1:8000", KEY).create(bpm=90, key="Cm", genre="lo-fi")

and then ``session.command(...)``, ``.stems``, ``.notes``, ``.sections``, ``.automation``,
``.versions``, ``.diff(a, b)``, ``.at(v)``, ``.plot``, ``.rollback(v)``, ``.export(path)`` and
``.render()`` work the same on both; ``session.stream(text)`` gives a command's events as
they happen.

As a local session's do, a remote session's tables describe its ``version``. They are read
from the last answer that described the session (opening it, :meth:`RemoteSession.refresh`,
or a command, whose answer carries the session after it), so reading them after a command
asks nothing more; what that answer lacks (notes, diffs, other versions) is asked for once
per version. ``refresh()`` catches up with other writers.

Errors mirror the server's: each ``{"error": {"code", ...}}`` answer raises the toolkit's
exception of that code (``NotFound``, ``InvalidValue``, ``CommandNotUnderstood`` with its
``suggestions``, ``RateLimited`` with its ``retry_after`` ...); a server that does not answer
raises :class:`ServerUnreachable`, naming its URL. Resends are safe (see :mod:`.client_http`).

>>> with Client("http://127.0.0.1:9", "ork_key", timeout=2) as client:  # nothing listens on port 9
...     client.agents()
Traceback (most recent call last):
...
orchestria_lab.client_http.ServerUnreachable: Could not reach the Orchestria server at http://127.0.0.1:9 (GET /v1/agents): ...
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pandas as pd

from orchestria_lab import __version__
from orchestria_lab.client_http import (
    BUSY_PATIENCE_S,
    CONFLICT_RETRIES,
    ApiError,
    ServerUnreachable,
    error_from_body,
    send,
    sse_events,
)
from orchestria_lab.errors import InvalidValue, OrchestriaError
from orchestria_lab.session.history import DIFF_COLUMNS
from orchestria_lab.session.store import VersionRecord
from orchestria_lab.state import (
    AUTOMATION_COLUMNS,
    NOTE_COLUMNS,
    SECTION_COLUMNS,
    STEM_TABLE_COLUMNS,
)

__all__ = ["BUSY_PATIENCE_S", "CONFLICT_RETRIES", "ApiError", "Client", "CommandStream", "ReadOnlyVersion",
           "RemoteCommandResult", "RemoteEvent", "RemoteSession", "RemoteVersionView", "ServerUnreachable",
           "error_from_body"]

# As orchestria_lab.audio.export names them (not imported: it would load torch into the client).
_SUFFIX_FORMATS = {".wav": "wav", ".flac": "flac", ".mp3": "mp3", ".mid": "midi", ".midi": "midi"}
_FORMAT_SUFFIXES = {"wav": ".wav", "flac": ".flac", "mp3": ".mp3", "midi": ".mid"}
_MANIFEST_SUFFIX = ".manifest.json"
VERSION_COLUMNS = ["version", "parent", "kind", "restores", "command", "agents", "summary", "created_at", "candidate",
                   "score"]
#: As ``orchestria_lab.eval.critic.METRICS`` (not imported: the critic loads the models).
CRITIC_METRICS = ("likelihood", "in_key", "chord_tones", "repetition", "range", "fit")
#: The columns of :meth:`RemoteSession.candidates`: :meth:`Session.candidates`'s, and the audio's URLs.
CANDIDATE_COLUMNS = ["candidate", "label", "seed", "score", "chosen", *CRITIC_METRICS, "note", "stems", "audio_url",
                     "signed_audio_url"]
#: As ``orchestria_lab.agents.registry.TABLE_COLUMNS`` (not imported: it loads every agent).
AGENT_COLUMNS = ("name", "description", "capabilities", "parameters", "status", "backend", "licence")


class ReadOnlyVersion(OrchestriaError):
    """A write sent to a view of one version (``session.at(v)``), which only reads."""

    code = "read_only_version"
    status = 409

    def __init__(self, session_id: str, version: int, verb: str) -> None:
        super().__init__(f"session.at({version}) is a read-only view of version {version} of {session_id}: it cannot "
                         f"{verb}. To build on version {version}, restore it with session.rollback({version}), then "
                         "send commands to the session.", session_id=session_id, version=version)


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
    dry_run: bool = False
    #: A variations command's candidates, best first (:data:`CANDIDATE_COLUMNS`); None otherwise.
    candidates: pd.DataFrame | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RemoteCommandResult:
        takes = d.get("candidates")
        return cls(d.get("version"), d.get("message", ""), list(d.get("plan", [])), _diff_table(d.get("diff", [])),
                   bool(d.get("dry_run", False)), None if takes is None else _candidates_table(takes))

    def to_dict(self) -> dict[str, Any]:
        out = {"version": self.version, "message": self.message, "plan": self.plan, "dry_run": self.dry_run,
               "diff": self.diff.astype(object).where(self.diff.notna(), None).to_dict("records")}
        if self.candidates is not None:
            out["candidates"] = self.candidates.astype(object).where(self.candidates.notna(), None).to_dict("records")
        return out


def _candidates_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The candidates of an answer as :meth:`Session.candidates` gives them (the scores as columns)."""
    flat = [{**{k: v for k, v in row.items() if k != "scores"}, **row.get("scores", {})} for row in rows]
    df = pd.DataFrame(flat, columns=CANDIDATE_COLUMNS)
    return df.astype({"candidate": "int64", "seed": "int64", "chosen": "bool", "score": "float64",
                      **{m: "float64" for m in CRITIC_METRICS}})


def _diff_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(DIFF_COLUMNS), dtype=object)
    return df.astype({"notes_added": "int64", "notes_removed": "int64"})


_RECORD_FIELDS = frozenset(VersionRecord.__dataclass_fields__)


def _record(row: dict[str, Any]) -> VersionRecord:
    """A version row of an answer as a record (the fields a record has; the REST rows say a variations
    version's candidate and score, the candidates themselves are at :meth:`RemoteSession.candidates`)."""
    return VersionRecord(**{k: v for k, v in row.items() if k in _RECORD_FIELDS} | {"agents": tuple(row["agents"])})


class Client:
    """A connection to an Orchestria Lab server, acting for one API key.

    ``Client(base_url, api_key)``; use it as a context manager, or call :meth:`close`.
    ``transport`` is an httpx transport to send through (tests count or fake requests with one).
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
    def request(self, method: str, path: str, *, stream: bool = False, **kw: Any) -> httpx.Response:
        """One API call; an error answer raises its typed exception, no answer :class:`ServerUnreachable`.

        Sent again when that is safe, a POST with the same ``Idempotency-Key``: after a version
        conflict, while the session is busy, once after no answer (:func:`.client_http.send`).
        With ``stream=True`` the caller reads the body and closes the response.
        """
        return send(self._http, method, path, stream=stream, **kw)

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
        response = self.request("GET", url, stream=True)
        try:
            with open(dest, "wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        except httpx.TransportError as exc:
            raise ServerUnreachable(self.base_url, exc, request=f"GET {url}") from exc
        finally:
            response.close()
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


class _RemoteTables:
    """The attributes and tables a remote session and a view of one of its versions share, all read
    from one session JSON (``_json()``), as ``_StateView`` serves a Session and its VersionView."""

    id: str
    version: int

    def _json(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def _home(self) -> RemoteSession:
        raise NotImplementedError

    @property
    def meta(self) -> dict[str, Any]:
        data = self._json()
        meta = {k: data[k] for k in ("bpm", "key", "genre", "time_signature", "bars", "sample_rate", "seed")}
        meta["bpm"] = int(meta["bpm"]) if float(meta["bpm"]).is_integer() else meta["bpm"]
        for name in ("sections", "tempo_changes", "key_changes"):
            meta[name] = [dict(s) for s in data.get(name, [])]
        return meta

    bpm = property(lambda self: self.meta["bpm"])
    key = property(lambda self: self._json()["key"])
    genre = property(lambda self: self._json()["genre"])
    time_signature = property(lambda self: self._json()["time_signature"])
    bars = property(lambda self: self._json()["bars"])
    sample_rate = property(lambda self: self._json()["sample_rate"])
    seed = property(lambda self: self._json()["seed"])

    @property
    def stems(self) -> pd.DataFrame:
        """One row per stem, the columns of :attr:`Session.stems`."""
        rows = [{**s, "stem_id": s["id"]} for s in self._json()["stems"]]
        return pd.DataFrame(rows, columns=list(STEM_TABLE_COLUMNS)).astype({"loudness_lufs": "float64"})

    @property
    def notes(self) -> pd.DataFrame:
        """One row per note, the columns and dtypes of :attr:`Session.notes`."""
        df = pd.DataFrame(self._home._notes_rows(self.version), columns=list(NOTE_COLUMNS))
        return df.astype({"pitch": "int64", "start": "float64", "duration": "float64", "velocity": "int64"})

    @property
    def automation(self) -> pd.DataFrame:
        """Every stem's automation points, the columns of :attr:`Session.automation`."""
        return pd.DataFrame(self._json().get("automation", []), columns=list(AUTOMATION_COLUMNS)).astype(
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

    @property
    def plot(self) -> Any:
        """The pictures of :attr:`Session.plot` (``.piano_roll()``, ``.waveform()``, ``.timeline()`` ...),
        drawn by the same code from these tables and the server's audio."""
        from orchestria_lab.widgets.plots import PlotAccessor

        return PlotAccessor(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Displays like a local session in Jupyter (summary, stems table, player)."""
        from orchestria_lab.widgets.display import mimebundle

        return mimebundle(self)


class RemoteSession(_RemoteTables):
    """A session on a server, with the verbs and tables of :class:`Session`."""

    def __init__(self, client: Client, data: dict[str, Any]) -> None:
        self.client = client
        self._data = data  # the session JSON the tables read: the last answer that described it
        self._stale = False  # a write of ours moved the version, and its answer did not say to what
        self._known: dict[tuple[Any, ...], Any] = {}  # what the JSON lacks, by version: notes, diffs, old versions
        #: What the last :meth:`export` wrote, one dict per file: ``name`` (of the local copy), ``url``
        #: (the server's signed, absolute download URL: no key needed until it expires), ``path`` (the copy).
        self.last_export: list[dict[str, str]] = []

    @property
    def id(self) -> str:
        return self._data["id"]

    @property
    def version(self) -> int:
        return self._data["version"]

    @property
    def _home(self) -> RemoteSession:
        return self

    def _json(self) -> dict[str, Any]:
        if self._stale:
            self.refresh()
        return self._data

    def _take(self, data: dict[str, Any]) -> None:
        """``data``, the session as the server just described it, becomes what the tables read."""
        if data["version"] != self._data["version"]:
            self._known.clear()
        self._data, self._stale = data, False

    def _moved_to(self, version: int) -> None:
        """A write of ours made ``version`` without saying what it holds: the next read asks."""
        self._known.clear()
        self._data, self._stale = {**self._data, "version": version}, True

    def _once(self, key: tuple[Any, ...], fetch: Callable[[], Any]) -> Any:
        """What ``fetch`` answers, asked for once: ``key`` names a read of one version, which never changes."""
        if key not in self._known:
            self._known[key] = fetch()
        return self._known[key]

    def _path(self, tail: str = "") -> str:
        return f"/v1/sessions/{self.id}{tail}"

    def refresh(self) -> RemoteSession:
        """Catch up with the server (versions made elsewhere, agents' state)."""
        self._take(self.client.json("GET", self._path()))
        return self

    @property
    def agent_states(self) -> dict[str, str]:
        """Each agent's live state (``idle`` or ``working``), as of the last answer about the session."""
        return {a["name"]: a["state"] for a in self._data.get("agents", [])}

    # tables -------------------------------------------------------------------------------
    def stems_json(self, version: int | None = None) -> list[dict[str, Any]]:
        """The stems as the API gives them, with ``url``, ``midi_url`` and ``signed_url``."""
        if version is None or version == self.version:
            return copy.deepcopy(self._json()["stems"])
        rows = self._once(("stems", version), lambda: self.client.json("GET", self._path("/stems"),
                                                                      params={"version": version}))
        return copy.deepcopy(rows)

    def _notes_rows(self, version: int) -> list[dict[str, Any]]:
        return self._once(("notes", version), lambda: self.client.json("GET", self._path("/notes"),
                                                                      params={"version": version}))

    @property
    def records(self) -> list[VersionRecord]:
        return [_record(r) for r in self._json()["versions"]]

    def record(self, version: int) -> VersionRecord:
        """The record of ``version``; one this object has not seen yet is asked for first."""
        whole = not isinstance(version, bool) and isinstance(version, int | np.integer)
        if whole and version > self.version:
            self.refresh()
        if not whole or not 0 <= version <= self.version:
            raise InvalidValue("version", version, f"a whole number from 0 to {self.version}")
        return self.records[int(version)]

    @property
    def versions(self) -> pd.DataFrame:
        """Every version ever made, the columns of :attr:`Session.versions`."""
        df = pd.DataFrame(self._json()["versions"], columns=VERSION_COLUMNS)
        return df.astype({"version": "int64", "parent": "Int64", "restores": "Int64", "candidate": "Int64",
                          "score": "float64"})

    def diff(self, a: int, b: int | None = None) -> pd.DataFrame:
        """What changed from version ``a`` to ``b`` (default: the current version)."""
        b = self.version if b is None else b
        rows = self._once(("diff", a, b), lambda: self.client.json("GET", self._path("/diff"), params={"a": a, "b": b}))
        return _diff_table(rows)

    def at(self, version: int) -> RemoteVersionView:
        """A read-only view of ``version`` with the same attributes and tables, like :meth:`Session.at`."""
        record = self.record(version)
        if record.version == self.version:
            return RemoteVersionView(self, record, self._json())
        data = self._once(("session", record.version), lambda: self.client.json(
            "GET", self._path(), params={"version": record.version}))
        if data["version"] != record.version:
            raise ApiError(501, "version_not_supported", f"The server at {self.client.base_url} answers "
                           "GET /v1/sessions/{id} without ?version=: it is older than this client. Update it "
                           "to read older versions.")
        return RemoteVersionView(self, record, data)

    # writing ------------------------------------------------------------------------------
    def command(self, text: str, *, dry_run: bool = False,
                on_event: Callable[[RemoteEvent], Any] | None = None) -> RemoteCommandResult:
        """Run a command on the server. ``on_event`` receives the conductor's events live,
        each as :meth:`stream` gives it."""
        if on_event is None:
            return self._took(self.client.json("POST", self._path("/command"), json={"text": text, "dry_run": dry_run}))
        with self.stream(text, dry_run=dry_run) as events:
            for event in events:
                on_event(event)
        assert events.result is not None  # a stream that ends without one raises
        return events.result

    def stream(self, text: str, *, dry_run: bool = False) -> CommandStream:
        """Run a command and give its events as they happen::

            with session.stream("add a boom bap drum beat") as events:
                for event in events:  # RemoteEvent: plan, agent_started, agent_finished, version_created
                    print(event.type, event.data.get("agent", ""))
            events.result             # the RemoteCommandResult; session.version is its version
        """
        return CommandStream(self, text, dry_run=dry_run)

    def _took(self, answer: dict[str, Any]) -> RemoteCommandResult:
        """The result of a command (or import) answer; the session it carries becomes what the tables read."""
        result = RemoteCommandResult.from_dict(answer)
        if answer.get("session"):
            self._take(answer["session"])
        elif not result.dry_run and result.version is not None:
            self._moved_to(result.version)
        if not result.dry_run and result.version:  # what version n changed is the diff from n - 1
            self._known[("diff", result.version - 1, result.version)] = answer.get("diff", [])
        return result

    def import_midi(self, path: str | Path | bytes, *, role: str | None = None, name: str | None = None,
                    filename: str | None = None) -> RemoteCommandResult:
        """Add a MIDI file's tracks as stems, like :meth:`Session.import_midi` (``POST .../import``)."""
        data = path if isinstance(path, bytes) else Path(path).read_bytes()
        filename = filename or ("import.mid" if isinstance(path, bytes) else Path(path).name)
        form = {k: v for k, v in (("role", role), ("name", name)) if v is not None}
        return self._took(self.client.json("POST", self._path("/import"),
                                           files={"file": (filename, data, "audio/midi")}, data=form))

    def choose(self, candidate: int, *, version: int | None = None) -> RemoteCommandResult:
        """Make a variations command's candidate (from 1, best first) the new version, like
        :meth:`Session.choose` (``POST .../choose``)."""
        body: dict[str, Any] = {"candidate": candidate} | ({} if version is None else {"version": version})
        return self._took(self.client.json("POST", self._path("/choose"), json=body))

    def candidates(self, version: int | None = None) -> pd.DataFrame:
        """The candidates of a variations version (default: the latest, as :meth:`Session.candidates`),
        best first, with their audio's URLs."""
        if version is None:
            rows = self._json()["versions"]
            head = rows[-1]
            version = next((r["version"] for r in reversed(rows) if r["kind"] != "choose" and r.get("candidate")),
                           head["version"]) if head["kind"] == "choose" else head["version"]
        return _candidates_table(self.client.json("GET", self._path(f"/versions/{version}/candidates")))

    def rollback(self, version: int) -> VersionRecord:
        """Append a version equal to ``version``, like :meth:`Session.rollback`."""
        answer = self.client.json("POST", self._path("/rollback"), json={"version": version})
        self._moved_to(answer["version"])
        return _record(answer)

    def close(self) -> None:
        """Close the session on the server (DELETE), freeing one of the account's slots."""
        self.client.request("DELETE", self._path())

    # audio --------------------------------------------------------------------------------
    def export(self, path: str | Path, *, stems: bool | list[str] = False, version: int | None = None,
               format: str | None = None, loudness: float | str | None = None) -> list[Path]:
        """Export on the server and download what it wrote, laid out as :meth:`Session.export`
        lays it out: the mix at ``path`` with its manifest beside it, or with ``stems`` one
        file per stem and ``manifest.json`` in the folder ``path``. Returns the paths, manifest
        last; :attr:`last_export` keeps each file's name, signed download URL and local path."""
        path = Path(path)
        if stems is False:
            format = format or _SUFFIX_FORMATS.get(path.suffix.lower())
            if format is None:
                raise InvalidValue("format", path.suffix or "(none)",
                                   "one of wav, flac, mp3, midi (from the file suffix or format=)")
            path = path if path.suffix else path.with_suffix(_FORMAT_SUFFIXES[format])
        export = self.client.json("POST", self._path("/export"),
                                  json={"format": format or "wav", "stems": stems,
                                        "version": self.version if version is None else version,
                                        **({"loudness": loudness} if loudness is not None else {})})
        written, kept = [], []
        for f in export["files"]:
            name = PurePosixPath(f["name"]).name
            if stems is not False:
                dest = path / name
            elif name.endswith(_MANIFEST_SUFFIX):
                dest = path.with_name(path.name + _MANIFEST_SUFFIX)
            else:
                dest = path
            written.append(self.client.download(f["url"], dest))
            kept.append({"name": dest.name, "url": f["signed_url"], "path": str(dest)})
        self.last_export = kept
        return written

    def _audio(self, tail: str, version: int | None) -> np.ndarray:
        import soundfile

        params = {"version": self.version if version is None else version, "format": "wav"}
        blob = self.client.request("GET", self._path(tail), params=params).content
        audio, _ = soundfile.read(io.BytesIO(blob), dtype="float32", always_2d=True)
        return np.ascontiguousarray(audio.T)

    def render(self, *, version: int | None = None) -> np.ndarray:
        """The mix of ``version`` (default current) as float32, shape ``(channels, samples)``."""
        return self._audio("/audio", version)

    def render_stem(self, stem_id: str, *, version: int | None = None) -> np.ndarray:
        """One stem's audio, shape ``(channels, samples)``."""
        return self._audio(f"/stems/{quote(stem_id, safe='')}/audio", version)

    def __repr__(self) -> str:
        return (f"<RemoteSession {self.id} v{self.version} at {self.client.base_url}: {self._data['bpm']:g} bpm, "
                f"{self._data['key']}, {self._data['genre']}, {len(self._data.get('stems', []))} stems>")


def _read_only(verb: str) -> Callable[..., Any]:
    def refuse(self: RemoteVersionView, *args: Any, **kw: Any) -> Any:
        raise ReadOnlyVersion(self.id, self.version, verb)

    refuse.__doc__ = f"Refused with :class:`ReadOnlyVersion`: a view of one version cannot {verb}."
    return refuse


class RemoteVersionView(_RemoteTables):
    """A read-only view of one version of a remote session (``session.at(v)``), with its
    attributes and tables, as a :class:`VersionView` is of a local one. Writes raise
    :class:`ReadOnlyVersion`."""

    def __init__(self, session: RemoteSession, record: VersionRecord, data: dict[str, Any]) -> None:
        self.session, self.record, self._data = session, record, data

    @property
    def id(self) -> str:
        return self.session.id

    @property
    def version(self) -> int:
        return self.record.version

    @property
    def _home(self) -> RemoteSession:
        return self.session

    def _json(self) -> dict[str, Any]:
        return self._data

    def render(self) -> np.ndarray:
        """The mix of this version, float32, shape ``(channels, samples)``."""
        return self.session.render(version=self.version)

    def render_stem(self, stem_id: str) -> np.ndarray:
        """One stem's audio in this version, shape ``(channels, samples)``."""
        return self.session.render_stem(stem_id, version=self.version)

    def export(self, path: str | Path, *, stems: bool | list[str] = False, format: str | None = None,
               loudness: float | str | None = None) -> list[Path]:
        """This version exported, as :meth:`RemoteSession.export` does."""
        return self.session.export(path, stems=stems, version=self.version, format=format, loudness=loudness)

    command = _read_only("run a command")
    stream = _read_only("run a command")
    import_midi = _read_only("import MIDI")
    rollback = _read_only("roll back")

    def __repr__(self) -> str:
        return f"<RemoteVersionView {self.id} v{self.version}: {len(self._data['stems'])} stems>"


class CommandStream:
    """A command's conductor events as the server streams them (``RemoteSession.stream``).

    Iterating it sends the command and gives :class:`RemoteEvent` objects as they come; when
    the iteration ends, :attr:`result` holds the :class:`RemoteCommandResult` and the session
    shows the version it made. An error ends the iteration with its typed exception. Leaving
    early (or the ``with`` block) closes the connection; the command still lands whole.
    """

    def __init__(self, session: RemoteSession, text: str, *, dry_run: bool = False) -> None:
        self.session, self.text, self.dry_run = session, text, dry_run
        self.result: RemoteCommandResult | None = None
        self._events: Iterator[RemoteEvent] | None = None

    def __iter__(self) -> Iterator[RemoteEvent]:
        if self._events is None:
            self._events = self._run()
        return self._events

    def __enter__(self) -> CommandStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._events is not None:
            self._events.close()  # type: ignore[attr-defined]

    def _run(self) -> Iterator[RemoteEvent]:
        session, client = self.session, self.session.client
        where = session._path("/command")
        response = client.request("POST", where, stream=True, json={"text": self.text, "dry_run": self.dry_run},
                                  headers={"Accept": "text/event-stream"})
        try:
            for kind, data in sse_events(response.iter_lines()):
                payload = json.loads(data)
                if kind == "result":
                    self.result = session._took(payload)
                    return
                if kind == "error":  # the stream's last event: the error the JSON answer would be
                    error = dict(payload.get("data", {}))
                    raise error_from_body(int(error.pop("status", 500)), error)
                yield RemoteEvent(kind, payload.get("data", payload))  # the event's own data, as locally
        except httpx.TransportError as exc:
            raise ServerUnreachable(client.base_url, exc, request=f"POST {where}", note=(
                "The event stream broke after the command was sent: it still lands whole, or not at all; "
                "refresh the session to see.")) from exc
        finally:
            response.close()
        raise ApiError(502, "stream_cut", "The event stream ended before the command's result.")
