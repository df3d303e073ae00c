"""Schemas and whole sessions between databases: what ``orchestria db migrate`` and ``orchestria db copy`` do.

A copy moves each session as it is stored (:class:`~orchestria_lab.session.store.SessionRows`):
the same ids, version numbers, records, timestamps and stem hashes, every stem payload checked
against its hash on the way. It writes all the sessions in one transaction, and refuses, writing
nothing, if the target already holds any of them.

>>> import tempfile, os
>>> from orchestria_lab import Session
>>> from orchestria_lab.session.store import open_store
>>> folder = tempfile.mkdtemp()
>>> here, there = (f"sqlite:///{os.path.join(folder, name)}" for name in ("a.db", "b.db"))
>>> s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, store=open_store(here))
>>> copy_sessions(here, there)[["versions", "head"]].values.tolist()
[[1, 0]]
>>> migrate(there)["found"]
3
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd

from orchestria_lab.errors import NotFound, StoreError
from orchestria_lab.session.store import SessionRows, Store, _unpack, open_store, redact
from orchestria_lab.state import Stem

__all__ = ["COPY_COLUMNS", "copy_sessions", "migrate"]

#: One row per copied session.
COPY_COLUMNS = ["session_id", "owner", "versions", "head", "stems", "closed"]


def migrate(url: str) -> dict[str, Any]:
    """Create or upgrade the schema of the database at ``url``. Returns ``{"url", "found", "schema"}``:
    the schema version found (None for a new database) and the one it has now. Running it again
    changes nothing."""
    with closing(open_store(url, migrate=False)) as store:
        found, now = store.migrate()
    return {"url": redact(url), "found": found, "schema": now}


def copy_sessions(source: str, target: str, *, session_ids: list[str] | None = None) -> pd.DataFrame:
    """Copy the sessions of ``source`` (all, or ``session_ids``) into ``target``, versions and hashes
    intact; one row per session (:data:`COPY_COLUMNS`). Refuses, copying nothing, a target that
    already holds any of them, a missing source file, and a source whose stems do not match their hashes."""
    if _same(source, target):
        raise StoreError(f"--from and --to are both {redact(source)}: a copy needs two databases.")
    _require_sqlite_file(source)
    with closing(open_store(source)) as src, closing(open_store(target)) as dst:
        return _copy(src, dst, source, target, session_ids)


def _copy(src: Store, dst: Store, source: str, target: str, session_ids: list[str] | None) -> pd.DataFrame:
    available = src.list_sessions()
    wanted = available if session_ids is None else list(dict.fromkeys(session_ids))
    for session_id in wanted:
        if session_id not in available:
            raise NotFound("session", session_id, available)
    there = sorted(set(wanted) & set(dst.list_sessions()))
    if there:
        shown = ", ".join(there[:10]) + (f" and {len(there) - 10} more" if len(there) > 10 else "")
        raise StoreError(
            f"{redact(target)} already holds {len(there)} of the {len(wanted)} sessions to copy ({shown}); a copy "
            "never overwrites a session, so nothing was copied. Copy into a database without them, or name the "
            "others with --session.", existing=there)
    rows: list[dict[str, Any]] = []
    checked: set[str] = set()

    def verified() -> Any:
        for session_id in wanted:
            stored = src.export_session(session_id)
            _check_stems(stored, checked, source)
            rows.append({"session_id": session_id, "owner": stored.session[1], "versions": len(stored.versions),
                         "head": stored.versions[-1][0], "stems": len(stored.stems),
                         "closed": stored.session[3] is not None})
            yield stored

    dst.import_sessions(verified())
    return pd.DataFrame(rows, columns=COPY_COLUMNS).astype({"versions": "int64", "head": "int64", "stems": "int64",
                                                            "closed": "bool"})


def _check_stems(stored: SessionRows, checked: set[str], source: str) -> None:
    """Every stem the versions name is there, and its payload hashes to its name."""
    missing = stored.stem_hashes() - stored.stems.keys()
    if missing:
        raise StoreError(f"Session {stored.id} in {redact(source)} names stems that are not stored "
                         f"({', '.join(sorted(missing)[:5])}): nothing was copied.")
    for digest, payload in stored.stems.items():
        if digest not in checked:
            if Stem.from_dict(_unpack(payload)).hash != digest:
                raise StoreError(f"Stem {digest} of session {stored.id} in {redact(source)} does not match its "
                                 "hash (the database is damaged): nothing was copied.")
            checked.add(digest)


def _same(a: str, b: str) -> bool:
    prefix = "sqlite:///"
    if a.startswith(prefix) and b.startswith(prefix):
        return Path(a[len(prefix):]).resolve() == Path(b[len(prefix):]).resolve()
    return a == b


def _require_sqlite_file(url: str) -> None:
    """Opening a SQLite store makes its file: a source that is not there is refused instead."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not Path(url[len(prefix):]).exists():
        raise StoreError(f"There is no database at {Path(url[len(prefix):]).resolve()} (from --from {url}).")
