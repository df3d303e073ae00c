"""``orchestria demo``: a short scripted production, start to finish, in the default store.

It opens a session (90 bpm, C minor, lo-fi), runs the API preview's example and a few more
commands, prints the versions table and writes the mix (WAV, MP3, MIDI), the stems, a
piano roll and a spectrogram into ``--out``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

SCRIPT = (
    "Add warm piano chords with reverb",
    "add a boom bap drum beat with some vinyl crackle",
    "add an 808 bass line",
    "add a melody on electric piano with a bit of delay",
    "make the drums punchier",
    "turn the bass down 2 dB",
    "make it 16 bars long",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run a short scripted production and write the results")
    p.add_argument("--out", default="out", help="folder for the mix, stems, MIDI and pictures (default: out)")
    p.add_argument("--seed", type=int, default=7, help="session seed (default: 7)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from orchestria_lab import Session

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    session = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=args.seed)
    print(f"session {session.id}: {session.bpm} bpm, {session.key}, {session.genre}")
    for text in SCRIPT:
        t0 = time.perf_counter()
        result = session.command(text)
        print(f"  v{result.version:<2} {text!r:58} {result.message}  ({(time.perf_counter() - t0) * 1000:.0f} ms)")

    with pd.option_context("display.width", 160, "display.max_colwidth", 70):
        print()
        print(session.versions[["version", "parent", "command", "agents", "summary"]].to_string(index=False))
        print()
        print(session.stems[["stem_id", "role", "instrument", "agent", "gain_db", "pan"]].to_string(index=False))

    t0 = time.perf_counter()
    written = []
    for name in ("mix.wav", "mix.mp3", "mix.mid"):
        written += session.export(out / name)
    written += session.export(out / "stems", stems=True, format="wav")
    print(f"\nrendered and exported in {time.perf_counter() - t0:.1f} s")

    from orchestria_lab.widgets import plots

    written.append(plots.save(plots.piano_roll(session), out / "piano_roll.png"))
    written.append(plots.save(plots.spectrogram(session.render(), sr=session.sample_rate), out / "spectrogram.png"))
    print(f"wrote {len(written)} files into {out}/:")
    for path in sorted({Path(p) for p in written}):
        print(f"  {path}")
    return 0
