"""The versioned Session: the one model behind notebooks, widgets, the CLI and the REST shim.

A session is an append-only list of versions. Version 0 has no stems; every command,
rollback, undo or redo appends exactly one version. Nothing is ever deleted.

>>> import tempfile, os
>>> from orchestria_lab.session.store import SQLiteStore
>>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "doc.db"))
>>> s = Session.create(bpm=90, key="c minor", genre="lofi", seed=7, store=store)
>>> s.version, s.key, s.genre, len(s.stems)
(0, 'Cm', 'lo-fi', 0)
>>> Session.open(s.id, store=store).meta == s.meta
True
"""

from __future__ import annotations

import hashlib
import random
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from orchestria_lab.errors import InvalidValue, NotFound, VersionConflict
from orchestria_lab.session.bounds import Bounds
from orchestria_lab.session.history import diff_states, summarize
from orchestria_lab.session.store import RESTORING, Store, VersionRecord, default_store
from orchestria_lab.state import SECTION_COLUMNS, STEM_TABLE_COLUMNS, Edit, Meta, State, Stem, apply

if TYPE_CHECKING:
    from orchestria_lab.session.conductor import CommandResult

SESSION_ID_RE = re.compile(r"^ses_[0-9a-f]{16}$")
#: How long a writer keeps rebuilding on a moving head before it gives up (seconds).
COMMIT_PATIENCE_S = 60.0



@dataclass(frozen=True)
class Restore:
    """What a history build returns: the content of ``version`` again, with its summary.

    ``version`` becomes the new record's parent, so the history says where content came from.
    """

    state: State
    version: int
    summary: str
    kind: str = "goto"  # undo, redo, goto or rollback: the record's kind


@dataclass(frozen=True)
class Detailed:
    """What a build returns when its version holds more than its content: ``made`` (an Edit or a
    State), the record's ``details`` (a variations version's candidates, a choice), and ``extra``
    stems to store with it (the candidates' own stems, the same transaction as the version)."""

    made: Edit | State
    details: dict[str, Any]
    extra: tuple[Stem, ...] = ()


#: What builds the next version from the head: an Edit, a whole State, a Restore, or a Detailed.
Build = Callable[[State, np.random.Generator], "Edit | State | Restore | Detailed"]


_WRITER_LOCKS: dict[tuple[object, str], threading.Lock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def _writer_lock(store: Store, session_id: str) -> threading.Lock:
    """One lock per session and store in this process: threads of one server take turns
    instead of racing; writers in other processes are still caught by the store's conflict check."""
    with _WRITER_LOCKS_GUARD:
        key = (str(getattr(store, "path", id(store))), session_id)
        return _WRITER_LOCKS.setdefault(key, threading.Lock())


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def version_seed(session_seed: int, version: int) -> int:
    """The seed of the randomness that makes ``version``: derived, recorded, reproducible."""
    digest = hashlib.sha256(f"{session_seed}:{version}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def check_session_id(session_id: str) -> str:
    if not isinstance(session_id, str) or not SESSION_ID_RE.match(session_id):
        raise NotFound("session", session_id)
    return session_id


class _StateView:
    """Attributes and tables shared by a live Session and a read-only version view."""

    _state: State

    @property
    def state(self) -> State:
        return self._state

    @property
    def meta(self) -> dict[str, Any]:
        return self._state.meta.to_dict()

    bpm = property(lambda self: self._state.meta.bpm)
    key = property(lambda self: self._state.meta.key)
    genre = property(lambda self: self._state.meta.genre)
    time_signature = property(lambda self: self._state.meta.time_signature)
    bars = property(lambda self: self._state.meta.bars)
    sample_rate = property(lambda self: self._state.meta.sample_rate)
    seed = property(lambda self: self._state.meta.seed)

    @property
    def stems(self) -> pd.DataFrame:
        """One row per stem: stem_id, name, role, instrument, agent, effects, level_db (its trim to the
        role's level), gain_db (the user's move from there), loudness_lufs (measured on its render, before
        the master: the stems are rendered, from the cache when they can be), pan, muted, solo, hash,
        notes_hash, stale (written over chords the song no longer plays)."""
        from orchestria_lab.audio.levels import stem_loudness

        table = self._state.stems_table()
        loudness = [stem_loudness(self._state, s) for s in self._state.stems]
        table["loudness_lufs"] = pd.Series([round(v, 2) if np.isfinite(v) else np.nan for v in loudness], dtype="float64")
        return table[list(STEM_TABLE_COLUMNS)]

    @property
    def notes(self) -> pd.DataFrame:
        """One row per note: stem_id, pitch, start (beats), duration (beats), velocity."""
        return self._state.notes_table()

    @property
    def automation(self) -> pd.DataFrame:
        """One row per automation point: stem_id, param, beat, value, curve (music/automation.py)."""
        return self._state.automation_table()

    @property
    def sections(self) -> pd.DataFrame:
        """One row per section of the song form: name, start_bar, bars, last_bar (bars count from 1), and
        the key it starts in (the key changes place it)."""
        meta = self._state.meta
        rows = [{**s.to_dict(), "last_bar": s.last_bar, "key": meta.key_at(s.start_bar)} for s in meta.sections]
        return pd.DataFrame(rows, columns=list(SECTION_COLUMNS)).astype(
            {"start_bar": "int64", "bars": "int64", "last_bar": "int64"})

    @property
    def plot(self) -> Any:
        """Pictures of this state: ``.plot.piano_roll()``, ``.waveform()``, ``.spectrogram()``, ``.timeline()``
        (sections, tempo, automation), ``.versions()``.

        Imported on first use, as pandas does for ``DataFrame.plot``, so the session layer
        does not load matplotlib.
        """
        from orchestria_lab.widgets.plots import PlotAccessor

        return PlotAccessor(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Rich display in Jupyter: summary, stems table and a player (see ``widgets.display``)."""
        from orchestria_lab.widgets.display import mimebundle

        return mimebundle(self)


class VersionView(_StateView):
    """A read-only view of one version, with the same attributes and tables as a Session."""

    def __init__(self, session: Session, record: VersionRecord, state: State) -> None:
        self.session, self.record, self._state = session, record, state

    @property
    def id(self) -> str:
        return self.session.id

    @property
    def version(self) -> int:
        return self.record.version

    def render(self, **kw: Any) -> np.ndarray:
        return self.session.render(version=self.version, **kw)

    def __repr__(self) -> str:
        return f"<VersionView {self.id} v{self.version}: {len(self._state.stems)} stems>"


class Session(_StateView):
    """A music session: meta (tempo, key, genre ...), stems and notes, and its version history.

    Make one with :meth:`create` or reopen one with :meth:`open`.
    """

    def __init__(self, session_id: str, store: Store, state: State, records: list[VersionRecord]) -> None:
        self.id, self.store, self._state, self._records = session_id, store, state, records

    # life cycle -------------------------------------------------------------------------
    @classmethod
    def create(cls, *, bpm: float, key: str, genre: str, time_signature: str = "4/4",
               bars: int = 8, sample_rate: int = 44100, seed: int | None = None,
               store: Store | None = None, owner: str | None = None, soundfont: str | Path | None = None) -> Session:
        """Open a new session at version 0 (no stems). Bad settings raise InvalidValue. ``soundfont``
        is an .sf2 file whose presets ``sf2:`` instruments play (default: ``ORCHESTRIA_SOUNDFONT``)."""
        seed = secrets.randbits(31) if seed is None else seed
        if soundfont is not None:
            from orchestria_lab.audio.soundfont import load

            load(soundfont)  # a missing or broken file is refused now, not at the first render
        meta = Meta(bpm=bpm, key=key, genre=genre, time_signature=time_signature, bars=bars,
                    sample_rate=sample_rate, seed=seed, soundfont=str(Path(soundfont).resolve()) if soundfont else "")
        store = store or default_store()
        session_id = "ses_" + secrets.token_hex(8)
        state = State(meta)
        Bounds.from_env().check_state(state)
        record = VersionRecord(0, None, "create session", (), "new session", now_iso(),
                               version_seed(seed, 0), "create")
        store.create_session(session_id, state, record, owner=owner)
        return cls(session_id, store, state, [record])

    @classmethod
    def from_midi(cls, path: str | Path | bytes, *, genre: str, key: str | None = None, bpm: float | None = None,
                  **create: Any) -> Session:
        """A new session from a MIDI file: its tempo, metre and key (a key the file lacks is found from its
        notes; ``key`` and ``bpm`` given win), one stem per track with its role guessed from channel, program
        and register (the import version's summary says each guess). ``create`` takes the other
        :meth:`create` settings (``sample_rate``, ``seed``, ``store`` ...)."""
        from orchestria_lab.session.midi_import import session_from_midi

        return session_from_midi(path, genre=genre, key=key, bpm=bpm, **create)

    def import_midi(self, path: str | Path | bytes, *, role: str | None = None, name: str | None = None,
                    bars: int | None = None, filename: str | None = None) -> VersionRecord:
        """Add a MIDI file's tracks as stems, on this session's tempo grid (one version; its summary says
        what was guessed, left out, or played at another tempo). ``role`` sets every track's role, ``name``
        names the stems, ``bars`` takes only the file's first bars; ``filename`` names bytes in the record."""
        from orchestria_lab.session.midi_import import import_midi

        return import_midi(self, path, role=role, name=name, bars=bars, filename=filename)

    @classmethod
    def open(cls, session_id: str, store: Store | None = None) -> Session:
        """Reopen a stored session at its latest version (in this or any later process)."""
        store = store or default_store()
        check_session_id(session_id)
        records, state = store.snapshot(session_id)
        assert state is not None  # a stored session has version 0 at least
        return cls(session_id, store, state, records)

    def refresh(self) -> Session:
        """Catch up with versions other writers appended since this object last looked.

        The new records and the head's state are read together, so ``version`` and
        ``state`` always describe the same version.
        """
        records, state = self.store.snapshot(self.id, after=self.version)
        if state is not None:
            self._records, self._state = [*self._records, *records], state
        return self

    # history ----------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self._records[-1].version

    @property
    def records(self) -> list[VersionRecord]:
        return list(self._records)

    @property
    def versions(self) -> pd.DataFrame:
        """Every version ever made: version, parent, kind, restores, command, agents, summary, created_at, and
        for a variations or choose version the ``candidate`` it plays (counted from 1) and its ``score``."""
        from orchestria_lab.session.takes import chosen

        rows = [{**r.to_dict(), **chosen(r)} for r in self._records]
        cols = ["version", "parent", "kind", "restores", "command", "agents", "summary", "created_at",
                "candidate", "score"]
        df = pd.DataFrame(rows, columns=[*cols, "seed"])[cols]
        return df.astype({"version": "int64", "parent": "Int64", "restores": "Int64", "candidate": "Int64",
                          "score": "float64"})

    def record(self, version: int) -> VersionRecord:
        self._check_version(version)
        return self._records[version]

    def _check_version(self, version: Any) -> int:
        """``version`` as an int, or an error saying which versions there are. One later than this object
        has seen may have been made by another writer since (a rollback racing another process): the
        store is asked before it is refused."""
        whole = not isinstance(version, bool) and isinstance(version, int | np.integer)
        if whole and version > self.version:
            self.refresh()
        if not whole or not (0 <= version <= self.version):
            raise InvalidValue("version", version, f"a whole number from 0 to {self.version}")
        return int(version)

    def state_at(self, version: int) -> State:
        version = self._check_version(version)
        return self._state if version == self.version else self.store.load_state(self.id, version)

    def at(self, version: int) -> VersionView:
        """A read-only view of ``version`` with the same attributes and tables."""
        return VersionView(self, self.record(version), self.state_at(version))

    def diff(self, a: int, b: int | None = None) -> pd.DataFrame:
        """What changed from version ``a`` to ``b`` (default: the current version)."""
        b = self.version if b is None else b
        return diff_states(self.state_at(a), self.state_at(b))

    # writing ----------------------------------------------------------------------------
    def commit(self, build: Build | Edit | State, *, command: str, agents: tuple[str, ...] = (),
               parent: int | None = None, summary: str | None = None, kind: str = "edit") -> VersionRecord:
        """Append one version made by ``build`` from the latest version; return its record.

        ``build(state, rng)`` returns an :class:`Edit` or a whole :class:`State`. While it
        runs, ``self.version`` and ``self.records`` describe the version it builds on. The
        store takes the result only if that version is still the head; if another writer
        appended first, the head is reloaded and ``build`` runs again on it. So each command
        lands whole, on top of whatever came before, with contiguous numbers, and no
        acknowledged version is ever silently undone by a later one.
        """
        with _writer_lock(self.store, self.id):
            return self._commit(build, command=command, agents=agents, parent=parent, summary=summary, kind=kind)

    def _commit(self, build: Build | Edit | State, *, command: str, agents: tuple[str, ...],
                parent: int | None, summary: str | None, kind: str) -> VersionRecord:
        deadline, attempt = time.monotonic() + COMMIT_PATIENCE_S, 0
        while True:
            attempt += 1
            self.refresh()
            base = self.version
            number = base + 1
            seed = version_seed(self._state.meta.seed, number)
            made = build(self._state, np.random.default_rng(seed)) if callable(build) else build
            came_from, said, made_kind = parent, summary, kind
            details, extra = None, ()
            if isinstance(made, Detailed):
                made, details, extra = made.made, made.details, made.extra
            if isinstance(made, Restore):
                made, came_from, said, made_kind = made.state, made.version, summary or made.summary, made.kind
            new_state = made if isinstance(made, State) else apply(self._state, made)
            Bounds.from_env().check_state(new_state)  # before anything is stored
            text = said or (made.summary if isinstance(made, Edit) and made.summary else
                               summarize(diff_states(self._state, new_state)))
            record = VersionRecord(number, base if came_from is None else came_from,
                                   command, tuple(agents), text, now_iso(), seed, made_kind,
                                   came_from if made_kind in RESTORING else None, details)
            try:
                self.store.append_version(self.id, record, new_state, base=base, extra=extra)
            except VersionConflict:
                # Another process won the race. Rebuild on its version, after a short random
                # pause (capped, so a busy session does not starve the writer that lost).
                if time.monotonic() > deadline:
                    break
                time.sleep(random.uniform(0, min(0.02, 0.002 * attempt)))
                continue
            self._records.append(record)
            self._state = new_state
            return record
        raise VersionConflict(f"Session {self.id} kept changing under this writer: {attempt} attempts "
                              f"in {COMMIT_PATIENCE_S:g} s were each overtaken. Try the command again.",
                              head=self.version)

    def rollback(self, version: int, *, command: str | None = None) -> VersionRecord:
        """Append a new version whose content equals ``version``'s. History keeps everything."""
        version = self._check_version(version)
        target = self.state_at(version)
        return self.commit(lambda _state, _rng: Restore(target, version, "", "rollback"),
                           command=command or f"rollback to version {version}", agents=("history",))

    def command(self, text: str, *, dry_run: bool = False, **kw: Any) -> CommandResult:
        """Parse ``text``, run the plan through the agents and append one version.

        ``dry_run=True`` returns the plan and changes nothing. Text the parser does not
        understand raises :class:`~orchestria_lab.errors.CommandNotUnderstood`; no version is made.
        """
        from orchestria_lab.session.conductor import run_command

        return run_command(self, text, dry_run=dry_run, **kw)

    # variations ---------------------------------------------------------------------
    def candidates(self, version: int | None = None) -> pd.DataFrame:
        """The candidates a variations command made (``"give me 4 variations of the melody"``), best first:
        candidate (counted from 1), label, seed, score, chosen, each metric of the critic, note and
        the stems' hashes. ``version`` defaults to the latest variations (the head, or the one the
        head chose from)."""
        from orchestria_lab.session.takes import candidates_table

        return candidates_table(self, version)

    def candidate_state(self, candidate: int, *, version: int | None = None) -> State:
        """The whole song as candidate ``candidate`` (from 1) of ``version``'s variations plays it."""
        from orchestria_lab.session.takes import candidate_state

        return candidate_state(self, candidate, version)

    def render_candidate(self, candidate: int, *, version: int | None = None, loop: bool = True) -> np.ndarray:
        """The mix of a candidate (see :meth:`candidate_state`), float32, shape ``(2, samples)``."""
        from orchestria_lab.audio.render import render_mix

        return render_mix(self.candidate_state(candidate, version=version), loop=loop)

    def choose(self, candidate: int, *, version: int | None = None) -> CommandResult:
        """Make candidate ``candidate`` (from 1, in the ranked order) the new version: one version of kind
        ``choose`` whose record names it; the others stay retrievable. ``version`` defaults as in
        :meth:`candidates`. "take the second one" does the same."""
        from orchestria_lab.session.takes import choose

        return choose(self, candidate, version=version)

    def voice(self, stem_id: str, instrument: str) -> CommandResult:
        """Play ``stem_id`` on ``instrument`` (one of ours, or ``sf2:<preset name or GM program>`` of the
        session's SoundFont), as the command "play the <stem> on <instrument>" does: one version, the
        stem levelled to its role again."""
        from orchestria_lab.agents.base import Action
        from orchestria_lab.session.conductor import run_command

        class _Voice:
            def plan(self, text: str, context: Any) -> list[Action]:
                return [Action("sound", "instrument", stem_id, {"instrument": instrument})]

        return run_command(self, f"play the {stem_id} on {instrument}", planner=_Voice())

    # audio ------------------------------------------------------------------------------
    def render(self, *, cache: bool = True, version: int | None = None, loop: bool = True) -> np.ndarray:
        """The mix of ``version`` (default current) as float32, shape ``(2, samples)``."""
        from orchestria_lab.audio.render import render_mix

        state = self._state if version is None else self.state_at(version)
        return render_mix(state, cache=cache, loop=loop)

    def render_stem(self, stem_id: str, *, cache: bool = True, version: int | None = None) -> np.ndarray:
        """One stem's audio (its gain and pan applied, before the master), shape ``(2, samples)``."""
        from orchestria_lab.audio.render import render_stem

        state = self._state if version is None else self.state_at(version)
        return render_stem(state, stem_id, cache=cache)

    def export(self, path: str | Path, *, stems: bool | list[str] = False, version: int | None = None,
               format: str | None = None, **kw: Any) -> list[Path]:
        """Write the mix (or stems) of ``version`` as WAV, FLAC, MP3 or MIDI, with a manifest."""
        from orchestria_lab.session.export import export_session

        return export_session(self, path, stems=stems, version=version, format=format, **kw)

    # display ----------------------------------------------------------------------------
    def __repr__(self) -> str:
        return (f"<Session {self.id} v{self.version}: {self.bpm} bpm, {self.key}, {self.genre}, "
                f"{self.time_signature}, {self.bars} bars, {len(self._state.stems)} stems>")
