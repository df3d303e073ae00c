"""Disk stays bounded under a fuzz run of the REST shim (issue 11, item 4).

For ``SECONDS`` of wall time, ``CLIENTS`` clients on a live server (loopback, its own SQLite file
and data dir, a small render cache) do what fills disk: open sessions, run commands, download
the mix and stems in every format at random versions, export, and close sessions. The data dir
is measured every half second. It holds if ``renders/`` never passes the cap (plus the one file
being written) and no export of a closed session is left on disk.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx

from benchmarks.timing import table

SECONDS = 60.0
CLIENTS = 4
CACHE_MB = 8
COMMANDS = ("add warm piano chords", "add a boom bap drum beat", "add an 808 bass line", "make it 16 bars long",
            "make the chords brighter", "regenerate the drums", "fade out the last 4 bars", "play Am F C G",
            "arrange it as verse, chorus", "set the tempo to 120")
FORMATS = ("wav", "flac", "mp3")


def _size(folder: Path) -> int:
    """Bytes under ``folder`` now (a file removed while it is counted counts 0)."""
    total = 0
    for root, _, files in os.walk(folder):  # a folder removed while it is walked is skipped
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return total


def _client(url: str, key: str, stop: float, seed: int, closed: list[str], counts: dict[str, int]) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as c:
        sid = None
        while time.monotonic() < stop:
            if sid is None:
                sid = c.post("/v1/sessions", json={"bpm": 90, "key": "Cm", "genre": "lo-fi", "bars": 8,
                                                   "sample_rate": 22050}).json()["id"]
            roll = rng.random()
            if roll < 0.35:
                answer = c.post(f"/v1/sessions/{sid}/command", json={"text": rng.choice(COMMANDS)})
            elif roll < 0.7:
                version = rng.randint(0, c.get(f"/v1/sessions/{sid}").json()["version"])
                answer = c.get(f"/v1/sessions/{sid}/audio", params={"version": version, "format": rng.choice(FORMATS)})
            elif roll < 0.9:
                answer = c.post(f"/v1/sessions/{sid}/export", json={"format": rng.choice(FORMATS)})
            else:
                answer = c.delete(f"/v1/sessions/{sid}")
                closed.append(sid)
                sid = None
            counts[str(answer.status_code)] = counts.get(str(answer.status_code), 0) + 1


def _exports_of(store, sessions: list[str], exports: Path) -> list[Path]:
    """Files under ``exports/`` of exports of ``sessions``, or of no export on record at all."""
    rows = store.connection().execute("SELECT id, session_id FROM exports").fetchall()
    kept = {i for i, sid in rows if sid not in sessions}
    folders = [d for d in exports.iterdir() if d.is_dir() and d.name not in kept] if exports.is_dir() else []
    return [p for d in folders for p in d.rglob("*") if p.is_file()]


def main() -> None:
    from orchestria_lab.server.app import create_app
    from orchestria_lab.server.disk import EXPORTS, RENDERS
    from orchestria_lab.server.keys import create_key
    from orchestria_lab.server.settings import Settings
    from orchestria_lab.server.testing import serve_in_thread
    from orchestria_lab.session.store import SQLiteStore

    root = Path(tempfile.mkdtemp())
    store = SQLiteStore(root / "orchestria.db")
    settings = replace(Settings(data_dir=root / "data", requests_per_minute=100_000, max_open_sessions=1000,
                                exports_per_day=100_000), render_cache_mb=CACHE_MB)
    live = serve_in_thread(create_app(store=store, settings=settings))
    keys = [create_key(store, f"fuzz{i}").key for i in range(CLIENTS)]
    stop = time.monotonic() + SECONDS
    closed: list[str] = []
    counts: dict[str, int] = {}
    workers = [threading.Thread(target=_client, args=(live.url, k, stop, i, closed, counts)) for i, k in enumerate(keys)]
    for w in workers:
        w.start()
    renders, exports = settings.data_dir / RENDERS, settings.data_dir / EXPORTS
    peak_renders = peak_exports = 0
    while any(w.is_alive() for w in workers):
        peak_renders, peak_exports = max(peak_renders, _size(renders)), max(peak_exports, _size(exports))
        time.sleep(0.5)
    time.sleep(1.0)  # the last answers' background work (links let go, exports of closed sessions dropped)
    left = _exports_of(store, closed, exports)
    largest = max((p.stat().st_size for p in renders.glob("*.*")), default=0)
    cap = CACHE_MB << 20
    live.server.should_exit = True
    print(f"Disk under a {SECONDS:.0f} s fuzz run of {CLIENTS} clients (render cache cap {CACHE_MB} MB)\n")
    print(table(["measure", "value", "bound", "holds"], [
        ["renders/ at its largest", f"{peak_renders / 2**20:.1f} MB", f"{CACHE_MB} MB + the file being written "
         f"({largest / 2**20:.1f} MB)", "yes" if peak_renders <= cap + largest else "NO"],
        ["exports/ at its largest", f"{peak_exports / 2**20:.1f} MB", "exports of open sessions only", "—"],
        ["export files of closed sessions left", str(len(left)), "0", "yes" if not left else "NO"],
        ["sessions closed", str(len(closed)), "", ""],
        ["answers (422: a command with nothing to change)", ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())),
         "no 5xx",
         "yes" if not any(k.startswith("5") for k in counts) else "NO"],
    ]))


if __name__ == "__main__":
    main()
