"""Scoped edits re-render only what they touch (issue 13): a scoped edit against a full render.

Target: after a scoped edit, rendering the new version costs at most 35% of rendering the whole
song from nothing. Only the stems an edit touches render again, and a stem whose only change is a
gain or pan lane reuses its cached audio under the lane. The session is the one the agents make from plain commands (four parts, a
form of five sections, 68 bars); each edit is a command a producer would type. The render after
the edit runs with the stem cache warm from the version before it (as in a session), the full
render with an empty cache; both median of ``REPEAT`` runs, measured in the same run (each run with a
cache of its own, so no run finds the edited stems rendered by the one before).
"""

from __future__ import annotations

import os
import tempfile
import time

from benchmarks.timing import table

REPEAT = 3
SETUP = ["add warm piano chords", "add a boom bap drum beat", "add an 808 bass line", "add a melody on electric piano",
         "make the song 3 minutes long as intro, verse, chorus, verse, chorus"]
EDITS = ["regenerate the melody in the second chorus", "mute the drums in the last 4 bars",
         "put a drum fill into the chorus", "transpose the bass in bars 25 to 40 up an octave",
         "fade out the last 4 bars"]
TARGET = 0.35


def _session():
    from orchestria_lab.session import Session
    from orchestria_lab.session.store import SQLiteStore

    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, sample_rate=22050,
                       store=SQLiteStore(tempfile.mkdtemp() + "/s.db"))
    for text in SETUP:
        s.command(text)
    return s


def _cold_render(state) -> float:
    from orchestria_lab.audio import render

    render.MEMORY_CACHE.clear()
    t = time.perf_counter()
    render.render_mix(state, cache=False)
    return time.perf_counter() - t


def _warm_render(before, after) -> float:
    from orchestria_lab.audio import render

    os.environ["ORCHESTRIA_DATA_DIR"] = tempfile.mkdtemp()  # a cache holding the version before, nothing else
    render.MEMORY_CACHE.clear()
    render.render_mix(before, cache=True)  # the version before, as the session rendered it
    render.flush_cache()
    t = time.perf_counter()
    render.render_mix(after, cache=True)
    return time.perf_counter() - t


def main() -> None:
    os.environ.setdefault("ORCHESTRIA_DATA_DIR", tempfile.mkdtemp())
    import statistics

    s = _session()
    base = s.version
    full = statistics.median(_cold_render(s.state) for _ in range(REPEAT))
    rows = []
    for text in EDITS:
        s.command(f"go to version {base}")
        before = s.state
        s.command(text)
        after = s.state
        touched = sorted(x.stem_id for x in after.stems if x.hash != before.stem(x.stem_id).hash)
        scoped = statistics.median(_warm_render(before, after) for _ in range(REPEAT))
        ratio = scoped / full
        rows.append([text, ", ".join(touched), f"{scoped:.2f}", f"{full:.2f}", f"{ratio:.2f}",
                     "yes" if ratio <= TARGET else "NO"])
    print(f"Re-render after a scoped edit vs a full render (68 bars, 4 stems, 22.05 kHz; median of {REPEAT}; "
          f"target ≤ {TARGET:.0%})\n")
    print(table(["edit", "stems re-rendered", "after the edit (s)", "full render (s)", "ratio", "meets"], rows))


if __name__ == "__main__":
    main()
