"""Peak memory of the largest render the bounds allow (issue 11, item 2).

The session: 20 minutes (52 bpm, 256 bars of 4/4) at 44.1 kHz with 16 stems, the most
``Bounds.max_render_frames`` allows, made by the agents from a fixed command list and seed.
Each row is a fresh process (so its peak RSS is its own) that builds the session, notes its
RSS, then exports with caching off:

- the mix, streamed (what ``export`` does for a song this long);
- the stems, streamed;
- the baseline: the mix rendered whole and written whole (``render_mix``, then one write),
  which is what every export did before streaming.

RSS before the export is the session and the models (torch, the checkpoints); the export's
own cost is the difference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from benchmarks.timing import table

COMMANDS = (
    "add a boom bap drum beat", "add an 808 bass line", "add warm piano chords with reverb",
    "add a melody on electric piano with delay", "add an ambient pad with chorus", "add a pluck arpeggio",
    "add strings", "add a second pad", "add an organ", "add a synth lead", "add a guitar",
    "add a bell melody", "add a counter melody on flute", "add a brass section", "add shakers",
    "add a choir pad",
)

_CHILD = r"""
import json, os, resource, sys, time
from orchestria_lab.session import Session, SQLiteStore
from orchestria_lab.session.bounds import Bounds
mode, commands, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
s = Session.create(bpm=52, key="Am", genre="lo-fi", bars=256, sample_rate=44100, seed=11,
                   store=SQLiteStore(":memory:"))
for c in commands:
    if len(s.state.stems) < 16:
        s.command(c)
Bounds().check_state(s.state)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
if mode == "baseline":
    from orchestria_lab.audio.render import render_mix
    from orchestria_lab.audio.writer import audio_bytes
    with open(out + "/mix.wav", "wb") as f:
        f.write(audio_bytes(render_mix(s.state, cache=False), 44100, "wav", bit_depth=24, bitrate=192))
else:
    s.export(out + ("/mix.wav" if mode == "mix" else "/stems"), stems=mode == "stems", cache=False)
seconds = time.perf_counter() - t0
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"stems": len(s.state.stems), "minutes": s.state.meta.duration_s / 60,
                  "before": before, "after": after, "seconds": seconds}))
"""


def _run(mode: str) -> dict:
    with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, ORCHESTRIA_DATA_DIR=data)
        done = subprocess.run([sys.executable, "-c", _CHILD, mode, json.dumps(COMMANDS), out], env=env,
                              capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    rows, found = [], {}
    for mode, label in (("mix", "mix, streamed"), ("stems", "16 stems, streamed"),
                        ("baseline", "baseline: mix rendered and written whole")):
        r = found[mode] = _run(mode)
        rows.append([label, f"{r['stems']} stems, {r['minutes']:.1f} min", round(r["before"]), round(r["after"]),
                     round(r["after"] - r["before"]), r["seconds"]])
    print(table(["export", "session", "RSS before (MB)", "peak RSS (MB)", "export's own (MB)", "seconds"], rows))
    own = {m: r["after"] - r["before"] for m, r in found.items()}
    print(f"\nstreamed mix / whole mix, the export's own memory: {own['mix'] / own['baseline']:.2f}; "
          f"16 stems streamed / whole mix: {own['stems'] / own['baseline']:.2f}")


if __name__ == "__main__":
    main()
