"""The measured figures of ``docs/scaling.md``: store bytes per version, renders per core, command cost.

Sessions are made by the agents from fixed command lists and seeds (8 bars, the five genres
of the demo), in one fresh SQLite store, as a user of the Studio or the REST shim makes them.

* **Store size per version.** After every command, the store's file (WAL checkpointed) and
  its two big tables, measured with SQLite's ``dbstat``: ``stems`` (one row per distinct stem,
  keyed by the hash of its content, so a version that changes one stem writes one row) and
  ``versions`` (one row per version: command, summary, meta and the list of stem hashes).
  Also how many stem references the versions make against the rows actually stored: the
  saving of content addressing.
* **Command cost.** Wall seconds per ``session.command`` (parse, agents, models, commit) on
  one torch thread, the CPU a user's command costs a server process.
* **Renders per core.** A full render of each finished session (``render_mix(cache=False)``)
  on one render thread and one torch thread, kernels warm: seconds of audio per second and
  sessions per second.

* **Render cache on disk.** Each finished session rendered once with the cache on, into an
  empty ``ORCHESTRIA_DATA_DIR``: bytes of rendered stems kept per second of audio.
* **The same sessions in PostgreSQL** (with ``--postgres URL`` of an empty database, or
  ``ORCHESTRIA_BENCH_POSTGRES_URL``): copied there by ``orchestria db copy``'s function, then
  each table's total size (heap, TOAST and indexes) per version.

The machine is shared, so the load average is printed beside the figures.
``python -m benchmarks scaling_figures``, or ``python benchmarks/bench_scaling_figures.py
[--quick] [--postgres URL]``.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.timing import table

SR = 44100
BARS = 8
#: Sessions made (the genres in turn, a seed each): enough versions that pages average out.
SESSIONS = 20
#: The five genres of the demo, each with its tempo and key.
GENRES = (("lo-fi", 90, "Cm"), ("house", 124, "Am"), ("pop", 110, "C"), ("jazz", 120, "F"), ("ambient", 80, "D"))
#: What a user does in a session: the demo's production, then edits that change one stem or
#: the mix, a tempo change (every stem) and an undo (no new stem at all).
COMMANDS = ("Add warm piano chords with reverb", "add a boom bap drum beat with some vinyl crackle",
            "add an 808 bass line", "add a melody on electric piano with a bit of delay",
            "make the drums punchier", "make the melody brighter", "turn the bass down a little",
            "set the tempo to 100", "undo")


def _file_bytes(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def _table_bytes(db: sqlite3.Connection, name: str) -> int:
    """Bytes of ``name``'s pages (its b-tree and overflow pages), by SQLite's dbstat."""
    (size,) = db.execute("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = ?", (name,)).fetchone()
    return int(size)


def _payload_bytes(db: sqlite3.Connection) -> tuple[int, int]:
    """Bytes of the stored values themselves: stem payloads, and the versions' rows."""
    (stems,) = db.execute("SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM stems").fetchone()
    (versions,) = db.execute(
        "SELECT COALESCE(SUM(LENGTH(command) + LENGTH(agents) + LENGTH(summary) + LENGTH(meta) + LENGTH(stems)"
        " + COALESCE(LENGTH(details), 0) + LENGTH(created_at) + LENGTH(session_id)), 0) FROM versions").fetchone()
    return int(stems), int(versions)


def measure_store(count: int = SESSIONS, commands=COMMANDS) -> dict[str, object]:
    """Make ``count`` sessions in one store and measure it; the figures and the finished states
    (one per genre: the first session of each)."""
    from orchestria_lab.session import Session
    from orchestria_lab.session.store import SQLiteStore
    from orchestria_lab.threads import one_thread

    folder = Path(tempfile.mkdtemp(prefix="scaling-"))
    path = folder / "sessions.db"
    store = SQLiteStore(path)
    db = store.connection()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    empty = _file_bytes(path)
    states, command_s, new_stem_rows = [], [], []
    with one_thread():
        for n in range(count):
            genre, bpm, key = GENRES[n % len(GENRES)]
            session = Session.create(bpm=bpm, key=key, genre=genre, bars=BARS, seed=11 + n, sample_rate=SR,
                                     store=store)
            for text in commands:
                (before,) = db.execute("SELECT COUNT(*) FROM stems").fetchone()
                t0 = time.perf_counter()
                session.command(text)
                command_s.append(time.perf_counter() - t0)
                (after,) = db.execute("SELECT COUNT(*) FROM stems").fetchone()
                new_stem_rows.append(after - before)
            if n < len(GENRES):
                states.append(session.state)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    versions = db.execute("SELECT stems FROM versions").fetchall()
    import json

    references = sum(len(json.loads(stems)) for (stems,) in versions)
    hashes = [h for (h,) in db.execute("SELECT hash FROM stems")]
    stem_rows = len(hashes)
    stored_notes = sum(len(stem.notes) for stem in store.load_stems(hashes))
    stems_payload, versions_payload = _payload_bytes(db)
    figures = {
        "sessions": count, "versions": len(versions), "file_bytes": _file_bytes(path) - empty,
        "stems_table_bytes": _table_bytes(db, "stems"), "versions_table_bytes": _table_bytes(db, "versions"),
        "stems_payload": stems_payload, "versions_payload": versions_payload,
        "stem_rows": stem_rows, "stem_references": references, "stored_notes": stored_notes,
        "new_stem_rows": new_stem_rows, "command_s": command_s,
    }
    store.close()
    return {"figures": figures, "states": states, "url": f"sqlite:///{path}"}


def measure_postgres(source: str, target: str) -> dict[str, int]:
    """Copy the sessions at ``source`` into the empty PostgreSQL ``target``; its tables' sizes."""
    import psycopg

    from orchestria_lab.session.transfer import copy_sessions, migrate

    def sizes() -> dict[str, int]:
        with psycopg.connect(target, autocommit=True) as db:
            db.execute("VACUUM ANALYZE")
            found = {name: db.execute("SELECT pg_total_relation_size(%s)", (name,)).fetchone()[0]
                     for name in ("stems", "versions", "sessions")}
            found["database"] = db.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            found["versions_count"] = db.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
        return found

    migrate(target)
    empty = sizes()
    copy_sessions(source, target)
    return {name: value - empty[name] for name, value in sizes().items()}


def measure_renders(states, *, rounds: int) -> list[dict[str, float]]:
    """Full renders of ``states`` on one render thread and one torch thread, kernels warm."""
    from orchestria_lab.audio import render
    from orchestria_lab.threads import one_thread

    before = os.environ.get("ORCHESTRIA_RENDER_THREADS")
    os.environ["ORCHESTRIA_RENDER_THREADS"] = "1"
    rows = []
    with one_thread():
        for state in states:
            audio = render.render_mix(state, cache=False)  # warm: kernels compiled, impulses made
            seconds_of_audio = audio.shape[-1] / state.meta.sample_rate
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                render.render_mix(state, cache=False)
                times.append(time.perf_counter() - t0)
            rows.append({"genre": state.meta.genre, "stems": len(state.stems), "audio_s": seconds_of_audio,
                         "render_s": float(np.median(times))})
    if before is None:  # later benchmarks in the same process render as they would
        os.environ.pop("ORCHESTRIA_RENDER_THREADS")
    else:
        os.environ["ORCHESTRIA_RENDER_THREADS"] = before
    return rows


def measure_cache(states) -> dict[str, float]:
    """Bytes the disk cache of rendered stems holds after one cached render of each of ``states``."""
    from orchestria_lab.audio import render

    before = os.environ.get("ORCHESTRIA_DATA_DIR")
    os.environ["ORCHESTRIA_DATA_DIR"] = tempfile.mkdtemp(prefix="scaling-cache-")
    render.MEMORY_CACHE.clear()  # every stem rendered here, so every one reaches the empty disk cache
    try:
        for state in states:
            render.render_mix(state, cache=True)
        render.flush_cache()
        files = list(render.cache_dir().glob("*.npy"))
        size = sum(f.stat().st_size for f in files)
    finally:
        if before is None:
            os.environ.pop("ORCHESTRIA_DATA_DIR")
        else:
            os.environ["ORCHESTRIA_DATA_DIR"] = before
    audio = sum(state.meta.duration_s for state in states)
    return {"bytes": size, "files": len(files), "audio_s": audio}


def main(argv: list[str] | None = None) -> None:
    argv = list(argv if argv is not None else sys.argv[1:])
    quick = "--quick" in argv
    postgres = argv[argv.index("--postgres") + 1] if "--postgres" in argv else os.environ.get(
        "ORCHESTRIA_BENCH_POSTGRES_URL")
    load_before = os.getloadavg()[0]
    store = measure_store(2 if quick else SESSIONS)
    f = store["figures"]
    per_version = f["file_bytes"] / f["versions"]
    edit_rows = [r for i, r in enumerate(f["new_stem_rows"]) if i % len(COMMANDS) >= 4]
    print(f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} "
          f"({os.cpu_count()} cores, shared), Python {platform.python_version()}, "
          f"load average {load_before:.1f} at the start.")
    print()
    print(f"**Store** ({f['sessions']} sessions x {len(COMMANDS)} commands, {BARS} bars, SQLite):")
    print(table(["measure", "value"], [
        ["versions stored (the create of each session included)", f["versions"]],
        ["file growth (bytes)", f["file_bytes"]],
        ["file growth per version (bytes)", per_version],
        ["stems table pages per version (bytes)", f["stems_table_bytes"] / f["versions"]],
        ["versions table pages per version (bytes)", f["versions_table_bytes"] / f["versions"]],
        ["stem payload per stored stem (bytes)", f["stems_payload"] / max(1, f["stem_rows"])],
        ["notes per stored stem", f["stored_notes"] / max(1, f["stem_rows"])],
        ["stem payload per note (bytes)", f["stems_payload"] / max(1, f["stored_notes"])],
        ["version row payload per version (bytes)", f["versions_payload"] / f["versions"]],
        ["stem references made by the versions", f["stem_references"]],
        ["stem rows stored (content-addressed)", f["stem_rows"]],
        ["references per stored stem (sharing)", f["stem_references"] / max(1, f["stem_rows"])],
        ["new stem rows per edit command (mean, commands 5-9)", float(np.mean(edit_rows))],
    ]))
    print()
    if postgres:
        pg = measure_postgres(store["url"], postgres)
        n = pg["versions_count"]
        print(f"**The same {n} versions in PostgreSQL** (growth over the empty schema; "
              "pg_total_relation_size: heap, TOAST, indexes):")
        print(table(["measure", "value"], [
            ["stems table per version (bytes)", pg["stems"] / n],
            ["versions table per version (bytes)", pg["versions"] / n],
            ["sessions, stems and versions tables per version (bytes)",
             (pg["stems"] + pg["versions"] + pg["sessions"]) / n],
            ["database growth per version (bytes)", pg["database"] / n],
        ]))
        print()
    commands = np.array(f["command_s"])
    print(f"**Commands** ({len(commands)} commands, one torch thread, store writes included):")
    print(table(["measure", "value"], [
        ["command p50 (ms)", float(np.median(commands)) * 1e3],
        ["command p95 (ms)", float(np.percentile(commands, 95)) * 1e3],
        ["commands per second per core (1 / mean)", 1 / float(np.mean(commands))],
    ]))
    print()
    rows = measure_renders(store["states"], rounds=2 if quick else 5)
    audio = sum(r["audio_s"] for r in rows)
    render_s = sum(r["render_s"] for r in rows)
    print("**Full renders** (one render thread, one torch thread, no cache, median of rounds):")
    lines = [[f"{r['genre']}, {r['stems']} stems, {r['audio_s']:.1f} s", r["render_s"] * 1e3,
              r["audio_s"] / r["render_s"], 1 / r["render_s"]] for r in rows]
    lines.append(["all sessions", render_s * 1e3 / len(rows), audio / render_s, len(rows) / render_s])
    print(table(["session", "render (ms)", "s of audio per s", "sessions per s"], lines))
    print()
    cache = measure_cache(store["states"])
    print(f"**Render cache** ({cache['files']} stems of {len(store['states'])} sessions, "
          f"{cache['audio_s']:.0f} s of audio):")
    print(table(["measure", "value"], [
        ["cache bytes per second of session audio", cache["bytes"] / cache["audio_s"]],
        ["cache bytes per session", cache["bytes"] / len(store["states"])],
    ]))
    print()
    print(f"Load average {os.getloadavg()[0]:.1f} at the end.")


if __name__ == "__main__":
    main()
