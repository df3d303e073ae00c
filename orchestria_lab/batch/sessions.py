"""Batch files of sessions: each line makes a session, runs its commands and exports it.

A batch file is JSONL, one :class:`BatchItem` a line::

    {"id": "lofi-1", "session": {"bpm": 90, "key": "Cm", "genre": "lo-fi", "seed": 7},
     "commands": ["add drums", "add a bass line"], "export": ["wav", "midi"]}

``session`` holds the arguments of :meth:`Session.create <orchestria_lab.session.Session.create>`
(:data:`SESSION_ARGUMENTS`); a line without a ``seed`` gets one derived from its id
(:func:`item_seed`), so running a file again makes the same songs. :func:`run_batch` runs
every line through :func:`~orchestria_lab.batch.runner.run_tasks` and writes
``OUT/results.parquet``, one row per line (:data:`RESULT_COLUMNS`). Item ``x`` keeps its
session in ``OUT/items/x/session.db`` and its exports beside it (``mix.wav``, ``mix.mid``,
each with its manifest). A line whose session or command fails has its ``error`` set and no
version; the other lines finish.

>>> import tempfile
>>> out = tempfile.mkdtemp()
>>> items = [{"id": "empty", "session": {"bpm": 100, "key": "C", "genre": "pop", "bars": 1, "seed": 1}},
...          {"id": "bad", "session": {"bpm": 900, "key": "C", "genre": "pop"}}]
>>> table = run_batch(items, out, engine="serial", progress=False)
>>> table[["id", "version"]].to_dict("list")
{'id': ['empty', 'bad'], 'version': [0, None]}
>>> print(table.loc[1, "error"])
InvalidValue: bpm=900 is not valid: expected a number from 20 to 300.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from orchestria_lab.batch.runner import INSTALL_HINT, Outcome, run_tasks
from orchestria_lab.errors import InvalidValue, NotFound, OrchestriaError

__all__ = ["RESULT_COLUMNS", "SESSION_ARGUMENTS", "BatchItem", "item_seed", "load_items", "run_batch",
           "run_item"]

#: The keys of a line's ``session``: the settings of ``Session.create``.
SESSION_ARGUMENTS = ("bpm", "key", "genre", "time_signature", "bars", "sample_rate", "seed", "soundfont")
#: What a line may export, and the file each makes in its folder.
EXPORT_FILES = {"wav": "mix.wav", "flac": "mix.flac", "mp3": "mix.mp3", "midi": "mix.mid"}
ITEM_KEYS = ("id", "session", "commands", "export")
#: An id names a folder, so it is a plain file name.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: The columns of ``results.parquet`` and of the table :func:`run_batch` returns. ``stem_ids``
#: and ``stem_hashes`` are the final version's stems, ordered by stem_id; ``files`` the paths
#: written (exports and their manifests); ``metrics`` ``{"stems", "notes", "export_seconds"}``;
#: ``seconds`` the item's time in its worker; ``error`` ``"Type: message"`` or None.
RESULT_COLUMNS = ("id", "version", "stem_ids", "stem_hashes", "files", "metrics", "seed", "session_id",
                  "store", "seconds", "error")
RESULTS_FILE = "results.parquet"


def item_seed(item_id: str) -> int:
    """The seed of a line that names none: 31 bits of the sha256 of its id.

    >>> item_seed("lofi-1") == item_seed("lofi-1"), 0 <= item_seed("x") < 2**31
    (True, True)
    """
    return int.from_bytes(hashlib.sha256(item_id.encode()).digest()[:4], "big") >> 1


@dataclass(frozen=True)
class BatchItem:
    """One line of a batch file, checked on construction (``session`` is checked when it runs,
    by ``Session.create``, so that a bad one fails its line only).

    >>> BatchItem.from_dict({"id": "a", "session": {"bpm": 90, "key": "Cm", "genre": "lo-fi"},
    ...                      "export": ["midi"]}).export
    ('midi',)
    >>> BatchItem.from_dict({"id": "a", "session": {}, "export": ["ogg"]})
    Traceback (most recent call last):
    ...
    orchestria_lab.errors.InvalidValue: export='ogg' is not valid: expected a list of wav, flac, mp3, midi.
    """

    id: str
    session: Mapping[str, Any]
    commands: tuple[str, ...] = ()
    export: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            raise InvalidValue("id", self.id, "1 to 100 letters, digits, '.', '_' or '-', not starting with '.', '_' or '-'")
        if not isinstance(self.session, Mapping):
            raise InvalidValue("session", self.session, "an object of Session.create arguments: " + ", ".join(SESSION_ARGUMENTS))
        if not isinstance(self.commands, list | tuple) or not all(isinstance(c, str) for c in self.commands):
            raise InvalidValue("commands", self.commands, "a list of command texts")
        if not isinstance(self.export, list | tuple):
            raise InvalidValue("export", self.export, "a list of " + ", ".join(EXPORT_FILES))
        for name in self.export:
            if name not in EXPORT_FILES:
                raise InvalidValue("export", name, "a list of " + ", ".join(EXPORT_FILES))
        object.__setattr__(self, "commands", tuple(self.commands))
        object.__setattr__(self, "export", tuple(self.export))

    @classmethod
    def from_dict(cls, line: Mapping[str, Any]) -> BatchItem:
        if not isinstance(line, Mapping) or not {"id", "session"} <= line.keys():
            raise InvalidValue("line", line, 'an object with "id" and "session" (and "commands", "export")')
        unknown = sorted(set(line) - set(ITEM_KEYS))
        if unknown:
            raise InvalidValue("key", unknown[0], "one of " + ", ".join(ITEM_KEYS))
        return cls(line["id"], line["session"], line.get("commands", ()), line.get("export", ()))

    @property
    def create_arguments(self) -> dict[str, Any]:
        """``session`` with its seed filled in: the line's, else (absent or null) :func:`item_seed`."""
        seed = self.session.get("seed")
        return {**self.session, "seed": item_seed(self.id) if seed is None else seed}

    @property
    def seed(self) -> int | None:
        """The seed the session is made with (None if the line's is not a whole number)."""
        seed = self.create_arguments["seed"]
        return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def load_items(source: str | Path | Iterable[Mapping[str, Any] | BatchItem]) -> list[BatchItem]:
    """The items of a batch file (or of dicts), checked; ids must be unique. A bad line raises
    InvalidValue naming it (``file.jsonl:3``): a broken file is refused before any of it runs."""
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise NotFound("batch file", str(path))
        lines = [(f"{path.name}:{n}", text) for n, text in enumerate(path.read_text().splitlines(), 1) if text.strip()]
    else:
        lines = [(f"item {n}", entry) for n, entry in enumerate(source, 1)]
    items, seen = [], set()
    for where, entry in lines:
        try:
            item = entry if isinstance(entry, BatchItem) else BatchItem.from_dict(
                json.loads(entry) if isinstance(entry, str) else entry)
        except json.JSONDecodeError as exc:
            raise InvalidValue(where, entry[:80], f"one JSON object per line ({exc.msg})") from None
        except InvalidValue as exc:
            raise InvalidValue(f"{where} {exc.details['field']}", exc.details["value"], exc.details["expected"]) from None
        if item.id in seen:
            raise InvalidValue(f"{where} id", item.id, "an id no earlier line has")
        seen.add(item.id)
        items.append(item)
    return items


def run_item(item: BatchItem, context: dict[str, Any], *, out: str) -> dict[str, Any]:
    """Make, command and export one item's session under ``out/items/<id>/`` (a rerun replaces
    it); the result columns it fills. A failing command raises, with a note saying which."""
    import time

    from orchestria_lab.session import Session, SQLiteStore

    folder = Path(out) / "items" / item.id
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    unknown = sorted(set(item.session) - set(SESSION_ARGUMENTS))
    if unknown:
        raise InvalidValue("session", unknown[0], "Session.create arguments: " + ", ".join(SESSION_ARGUMENTS))
    store = folder / "session.db"
    session = Session.create(**item.create_arguments, store=SQLiteStore(store))
    for n, text in enumerate(item.commands, 1):
        try:
            session.command(text)
        except Exception as exc:
            exc.add_note(f"command {n} of {len(item.commands)}: {text!r}")
            raise
    start = time.perf_counter()
    files = [str(path) for name in item.export for path in session.export(folder / EXPORT_FILES[name])]
    stems = sorted(session.state.stems, key=lambda s: s.stem_id)
    return {"version": session.version, "stem_ids": [s.stem_id for s in stems],
            "stem_hashes": [s.hash for s in stems], "files": files, "session_id": session.id,
            "store": str(store),
            "metrics": {"stems": len(stems), "notes": sum(len(s.notes) for s in stems),
                        "export_seconds": round(time.perf_counter() - start, 4)}}


def _row(item: BatchItem, outcome: Outcome) -> dict[str, Any]:
    empty = {"version": None, "stem_ids": [], "stem_hashes": [], "files": [], "metrics": None,
             "session_id": None, "store": None}
    return {"id": item.id, **(outcome.value or empty), "seed": item.seed,
            "seconds": round(outcome.seconds, 4), "error": outcome.error}


def results_table(items: list[BatchItem], outcomes: list[Outcome]) -> pd.DataFrame:
    """One row per item, the columns of :data:`RESULT_COLUMNS`."""
    table = pd.DataFrame([_row(i, o) for i, o in zip(items, outcomes, strict=True)], columns=list(RESULT_COLUMNS))
    return table.astype({"version": "Int64", "seed": "Int64", "seconds": "float64"})


def _arrow_schema() -> Any:
    import pyarrow as pa

    strings = pa.list_(pa.string())
    metrics = pa.struct([("stems", pa.int64()), ("notes", pa.int64()), ("export_seconds", pa.float64())])
    return pa.schema([("id", pa.string()), ("version", pa.int64()), ("stem_ids", strings), ("stem_hashes", strings),
                      ("files", strings), ("metrics", metrics), ("seed", pa.int64()), ("session_id", pa.string()),
                      ("store", pa.string()), ("seconds", pa.float64()), ("error", pa.string())])


def write_results(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the results table as Parquet, with a fixed schema (the same types whether or not
    any item failed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    pq.write_table(pa.Table.from_pandas(table, schema=_arrow_schema(), preserve_index=False), path)
    return path


def run_batch(source: str | Path | Iterable[Mapping[str, Any] | BatchItem], out: str | Path, *,
              engine: str = "auto", address: str | None = None, workers: int | None = None,
              progress: bool = True) -> pd.DataFrame:
    """Run every item of ``source`` (a batch file, or its lines as dicts) and write
    ``out/results.parquet``; return the same table (:data:`RESULT_COLUMNS`).

    ``engine``, ``address`` and ``workers`` are :func:`~orchestria_lab.batch.runner.run_tasks`'s:
    by default a local Ray started for the run, or a plain loop here when Ray is not installed.
    Both give the same versions and hashes. ``out`` must be a folder every worker can write to
    (on a cluster, shared storage).
    """
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None:
        raise OrchestriaError(f"results.parquet needs pyarrow, which is not installed: {INSTALL_HINT}.")
    items = load_items(source)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    task = functools.partial(run_item, out=str(out))
    outcomes = run_tasks(task, items, engine=engine, address=address, workers=workers, progress=progress,
                         desc="sessions")
    table = results_table(items, outcomes)
    write_results(table, out / RESULTS_FILE)
    return table
