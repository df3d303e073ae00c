"""Disk that does not fill: a bounded render cache, exports that expire, and ``orchestria gc``.

- ``renders/`` holds files rendered for downloads, named by what defines their sound. It is a
  cache of at most ``Settings.render_cache_mb``: when a new render would pass the cap, the
  least recently used files go first (a hit touches its file).
- An export lives ``Settings.export_ttl_days`` (its record says until when), and goes with
  its session when the session is closed.
- :func:`collect` does both; it runs after every new render and export, and by hand as
  ``orchestria gc``.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> for i in range(3):
...     _ = (folder / f"{i}.wav").write_bytes(b"x" * 1000)
...     os.utime(folder / f"{i}.wav", (i, i))
>>> trim_cache(folder, max_bytes=2500)
(1, 1000)
>>> sorted(p.name for p in folder.iterdir())
['1.wav', '2.wav']
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestria_lab.server.tables import ensure_tables
from orchestria_lab.session.store import Store

RENDERS = "renders"
EXPORTS = "exports"
#: Hard links to the cached renders being sent: a file the cache drops while it is sent goes on
#: being sent, and its bytes go when the link does.
SERVING = "serving"
#: A link older than this is a leftover (a crash mid-send), and collection removes it.
SERVING_TTL_S = 3600


def expiry(created_at: str, *, ttl_days: int) -> str:
    """When an export made at ``created_at`` (ISO, UTC) expires, in the same form.

    >>> expiry("2026-12-03T10:00:00.000Z", ttl_days=7)
    '2026-12-10T10:00:00.000Z'
    """
    made = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return (made + timedelta(days=ttl_days)).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def touch(path: Path) -> None:
    """Mark a cached file as just used (what the cache keeps longest)."""
    try:
        os.utime(path)
    except OSError:
        pass  # gone meanwhile: the next request renders it again


def trim_cache(folder: Path, *, max_bytes: int, keep: Path | None = None) -> tuple[int, int]:
    """Remove the least recently used files of ``folder`` until it holds at most ``max_bytes``;
    ``(files removed, bytes freed)``. ``keep`` (the file just made, being served) and files being
    written (in temporary folders) are left alone."""
    if not folder.is_dir():
        return 0, 0
    files = []
    for p in folder.iterdir():
        try:
            if p.is_file():
                st = p.stat()
                files.append((st.st_mtime, st.st_size, p))
        except OSError:
            continue
    total = sum(size for _, size, _ in files)
    removed = freed = 0
    for _, size, path in sorted(files):
        if total <= max_bytes:
            break
        if keep is not None and path == keep:
            continue
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed, freed = removed + 1, freed + size
    return removed, freed


def pin(path: Path, data_dir: Path) -> Path | None:
    """A hard link to ``path`` under ``serving/`` to send it from (the cache may drop ``path`` meanwhile),
    or None when ``path`` is already gone. :func:`unpin` it once sent.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp()); f = root / "a.wav"; _ = f.write_bytes(b"x")
    >>> link = pin(f, root); f.unlink(); link.read_bytes(), unpin(link), link.exists()
    (b'x', None, False)
    """
    folder = data_dir / SERVING
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / f"{os.getpid()}-{secrets.token_hex(8)}{path.suffix}"
    try:
        os.link(path, link)
    except FileNotFoundError:
        return None
    return link


def unpin(link: Path) -> None:
    """Let go of a link :func:`pin` made (its bytes go with it if the cache dropped the file)."""
    try:
        link.unlink()
    except OSError:
        pass


def drop_stale_links(data_dir: Path, *, now: float) -> int:
    """Remove links under ``serving/`` older than :data:`SERVING_TTL_S`; returns how many."""
    folder, dropped = data_dir / SERVING, 0
    for p in folder.iterdir() if folder.is_dir() else ():
        try:
            if now - p.stat().st_mtime > SERVING_TTL_S:
                p.unlink()
                dropped += 1
        except OSError:
            continue
    return dropped


@dataclass(frozen=True)
class Collected:
    """What a collection removed."""

    renders: int = 0
    render_bytes: int = 0
    exports: int = 0

    def __str__(self) -> str:
        return (f"removed {self.renders} cached render(s) ({self.render_bytes / 1e6:.1f} MB) and "
                f"{self.exports} export(s)")


def drop_exports(store: Store, data_dir: Path, *, now: str, session_id: str | None = None) -> int:
    """Remove the exports that have expired by ``now``, or whose session is closed (only
    ``session_id``'s when given): their files, then their records. Returns how many."""
    service = ensure_tables(store)
    gone = service.exports_to_drop(now=now, session_id=session_id)
    for export_id in gone:
        shutil.rmtree(data_dir / EXPORTS / export_id, ignore_errors=True)
    if gone:
        service.delete_exports(gone)
    return len(gone)


def collect(store: Store, data_dir: Path, *, render_cache_mb: int, now: str) -> Collected:
    """Trim the render cache to its cap, drop expired and orphaned exports and leftover links."""
    renders, freed = trim_cache(data_dir / RENDERS, max_bytes=render_cache_mb * 1024 * 1024)
    drop_stale_links(data_dir, now=time.time())
    return Collected(renders, freed, drop_exports(store, data_dir, now=now))
