"""Store: commit latency stays flat as history grows; storage grows with what changed.

Baseline in the same run: a naive store that writes the whole state of every version
(what a JSON-per-version history does).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks.timing import percentile, table
from orchestria_lab import Session
from orchestria_lab.session.store import SQLiteStore
from orchestria_lab.state import Edit, Note, Stem

STEMS, NOTES, VERSIONS = 6, 256, 300


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    store = SQLiteStore(folder / "bench.db")
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=1, store=store)
    s.commit(Edit(add=[Stem(f"s{i}", role="chords", instrument="piano",
                            notes=[Note(48 + (k * 7 + i) % 36, k * 0.25, 0.25, 90) for k in range(NOTES)])
                       for i in range(STEMS)]), command="setup")
    naive = sqlite3.connect(folder / "naive.db")
    naive.execute("CREATE TABLE v (n INTEGER PRIMARY KEY, state TEXT)")
    times = []
    for v in range(VERSIONS):
        t0 = time.perf_counter()
        s.commit(lambda st, rng, v=v: Edit(update=[st.stems[v % STEMS].evolve(gain_db=-(v % 24) / 2)]),
                 command=f"gain {v}")
        times.append(time.perf_counter() - t0)
        with naive:
            naive.execute("INSERT INTO v VALUES (?, ?)", (v, json.dumps(s.state.to_dict())))
    naive.close()
    store.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ours = os.path.getsize(folder / "bench.db") + _wal(folder / "bench.db")
    theirs = os.path.getsize(folder / "naive.db")
    t0 = time.perf_counter()
    _ = Session.open(s.id, store=SQLiteStore(folder / "bench.db")).at(VERSIONS // 2).notes
    load = time.perf_counter() - t0
    print(table(
        ["measure", "value"],
        [["commit p50, first 50 versions (ms)", percentile(times[:50], 50) * 1e3],
         [f"commit p50, last 50 of {VERSIONS} (ms)", percentile(times[-50:], 50) * 1e3],
         [f"store size after {VERSIONS} one-stem edits (MB)", ours / 1e6],
         ["naive full-state-per-version size (MB)", theirs / 1e6],
         ["size ratio ours / naive", ours / theirs],
         ["reopen + load a middle version (ms)", load * 1e3]],
    ))


def _wal(db: Path) -> int:
    wal = Path(str(db) + "-wal")
    return wal.stat().st_size if wal.exists() else 0


if __name__ == "__main__":
    main()
