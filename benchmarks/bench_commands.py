"""Commands: latency of one command on an 8-bar, four-stem session, with the touched stems re-rendered.

What a person waits for after typing: parse, plan, agents, one committed version, then the
audio of every stem the command changed (``session.render_stem``; untouched stems come
from the render cache). Each command runs ``ROUNDS`` times on the same session (pairs
like louder/quieter keep it from drifting); the render cache starts warm, as in a session
someone is listening to.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.timing import percentile, table

ROUNDS = 3
SETUP = ("add warm piano chords with reverb", "add a boom bap drum beat", "add a bass line",
         "add a melody on electric piano")
#: (kind, command): mix moves, effects, sound, part re-writes, as a producer alternates them.
COMMANDS = (
    ("mix", "make the bass louder"), ("mix", "turn the bass down"), ("mix", "pan the melody left"), ("mix", "pan the melody right"),
    ("mix", "mute the drums"), ("mix", "unmute the drums"), ("effects", "add delay to the melody"),
    ("effects", "remove the delay from the melody"), ("sound", "make the piano warmer"),
    ("sound", "make the drums punchier"), ("parts", "swing the drums more"),
    ("parts", "regenerate the melody"), ("parts", "put the bass up an octave"),
    ("parts", "put the bass down an octave"),
    # the grammar's longer sentences: a protected part, a complaint, a comparison
    ("language", "don't touch the drums, just make the bass louder"), ("language", "the bass is a bit too loud"),
    ("language", "the piano sounds a bit harsh"), ("language", "the chords are drowning out the melody"),
    ("language", "make the chords louder but leave the melody alone"),
)
#: Parse, agents and commit of one command, without the re-render (issue 12): p50 at most this.
COMMAND_P50_MS = 50.0


def main() -> None:
    from orchestria_lab import Session
    from orchestria_lab.session.conductor import NothingToChange
    from orchestria_lab.session.store import SQLiteStore

    folder = Path(tempfile.mkdtemp())
    os.environ["ORCHESTRIA_DATA_DIR"] = str(folder / "data")
    session = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, bars=8, store=SQLiteStore(folder / "bench.db"))
    for text in SETUP:
        session.command(text)
    for stem in session.state.stems:
        session.render_stem(stem.stem_id)
    rows: dict[str, list[tuple[float, float]]] = {}
    for _ in range(ROUNDS):
        for kind, text in COMMANDS:
            t0 = time.perf_counter()
            try:
                result = session.command(text)
            except NothingToChange:  # e.g. a tone already at its limit: refused, still a wait
                rows.setdefault(kind, []).append((time.perf_counter() - t0, 0.0))
                continue
            t1 = time.perf_counter()
            for stem_id in result.diff["stem_id"].dropna().unique():
                if session.state.has_stem(stem_id):
                    session.render_stem(stem_id)
            t2 = time.perf_counter()
            rows.setdefault(kind, []).append((t1 - t0, t2 - t1))
    every = [c + r for samples in rows.values() for c, r in samples]
    commands = [c for samples in rows.values() for c, _ in samples]
    out = []
    for kind, samples in rows.items():
        total = [c + r for c, r in samples]
        out.append((kind, len(samples), 1000 * percentile([c for c, _ in samples], 50),
                    1000 * percentile(total, 50), 1000 * percentile(total, 95)))
    out.append(("all", len(every), 1000 * percentile(commands, 50), 1000 * percentile(every, 50),
                1000 * percentile(every, 95)))
    import torch

    print(f"8 bars at 90 bpm, 4 stems, 44.1 kHz; {ROUNDS} rounds of {len(COMMANDS)} commands; target: p50 <= 150 ms; "
          f"torch threads: {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}\n")
    print(table(("commands", "n", "command p50 ms", "with re-render p50 ms", "with re-render p95 ms"), out))
    p50 = 1000 * percentile(commands, 50)
    print(f"\ncommand alone (parse, agents, commit): p50 {p50:.1f} ms "
          f"(target <= {COMMAND_P50_MS:g} ms) {'✓' if p50 <= COMMAND_P50_MS else '✗'}")


if __name__ == "__main__":
    main()
