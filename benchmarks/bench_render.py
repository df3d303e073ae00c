"""Rendering the sessions the agents really make, against FluidSynth on the same notes (issue 17).

Each session is built by the agents from a fixed command list and seed, so its parts do not
repeat the way a hand-written one does (the period cache renders what it must). In the same
run, FluidSynth (one preloaded synth, the General MIDI SoundFont that ships with pretty_midi)
plays the notes of our own MIDI export of that session. Rounds alternate between the sides, so
a slow moment of this shared machine lands on both; figures are medians, ratios the median of
each round's ratio.

* full render, on one render thread and on two (``ORCHESTRIA_RENDER_THREADS``): FluidSynth's
  time over ours, targets >= 2.5 and >= 4;
* a one-stem edit ("make the melody brighter") re-rendered with the cache warm, as a share of a
  full render, target <= 0.35;
* a three-minute song in five sections: its first render against its own length / 60;
* peak RSS of a fresh process rendering a ten-minute agent-made session, and how much of it
  torch and numba take at import (torch's wheel here is its CUDA build: ~0.5 GB on import).

``python -m benchmarks render``; ``python benchmarks/bench_render.py --quick`` for a smoke run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.timing import table

SR = 44100
#: The six-stem session of issue 17: 16 bars at 90 bpm, 42.7 s.
SIX_STEMS = ("add drums", "add a bass line", "add warm piano chords with reverb",
             "add a melody on electric piano with delay", "add an ambient pad with chorus", "add a pluck arpeggio")
#: The demo's production (``orchestria demo``), played in five genres.
DEMO = ("Add warm piano chords with reverb", "add a boom bap drum beat with some vinyl crackle",
        "add an 808 bass line", "add a melody on electric piano with a bit of delay", "make the drums punchier")
GENRES = (("lo-fi", 90, "Cm"), ("house", 124, "Am"), ("pop", 110, "C"), ("jazz", 120, "F"), ("ambient", 80, "D"))
SONG = ("add warm piano chords", "add a boom bap drum beat", "add an 808 bass line",
        "add a melody on electric piano", "make the song 3 minutes long as intro, verse, chorus, verse, chorus")


def agent_session(commands, *, genre: str, bpm: float, key: str, bars: int, seed: int = 7):
    """A session made by the agents from ``commands`` (a throwaway store)."""
    from orchestria_lab.session import Session
    from orchestria_lab.session.store import SQLiteStore

    session = Session.create(bpm=bpm, key=key, genre=genre, bars=bars, seed=seed, sample_rate=SR,
                             store=SQLiteStore(tempfile.mkdtemp() + "/bench.db"))
    for text in commands:
        session.command(text)
    return session


class FluidSynth:
    """One preloaded FluidSynth playing a state's notes from our MIDI export."""

    def __init__(self) -> None:
        import fluidsynth
        import pretty_midi

        self.synth = fluidsynth.Synth(samplerate=float(SR))
        self.sfid = self.synth.sfload(str(Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"))

    def play(self, state) -> np.ndarray:
        from benchmarks.bench_audio import _fluidsynth_events

        events, programs = _fluidsynth_events(state)
        for ch, bank, program in programs:
            self.synth.program_select(ch, self.sfid, bank, program)
        chunks, cursor = [], 0
        for at, on, ch, pitch, vel in events:
            if at > cursor:
                chunks.append(self.synth.get_samples(at - cursor))
                cursor = at
            if on:
                self.synth.noteon(ch, pitch, vel)
            else:
                self.synth.noteoff(ch, pitch)
        chunks.append(self.synth.get_samples(2 * SR))
        self.synth.system_reset()
        return np.concatenate(chunks)


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _full(state, threads: int) -> float:
    from orchestria_lab.audio import render

    os.environ["ORCHESTRIA_RENDER_THREADS"] = str(threads)
    return _timed(lambda: render.render_mix(state, cache=False))


def bench_sessions(rounds: int, bars: int, fluid: FluidSynth) -> list[list[object]]:
    from orchestria_lab.audio import render

    sessions = [("6 stems, lo-fi, 90 bpm (issue 17)", agent_session(SIX_STEMS, genre="lo-fi", bpm=90, key="Cm",
                                                                    bars=bars).state)]
    sessions += [(f"demo, {genre}, {bpm} bpm", agent_session(DEMO, genre=genre, bpm=bpm, key=key, bars=bars).state)
                 for genre, bpm, key in GENRES]
    rows = []
    for name, state in sessions:
        render.render_mix(state, cache=False)  # warm: kernels compiled, impulses and spectra made
        fluid.play(state)
        one, two, theirs = [], [], []
        for _ in range(rounds):
            one.append(_full(state, 1))
            theirs.append(_timed(lambda state=state: fluid.play(state)))
            two.append(_full(state, 2))
        one, two, theirs = map(np.array, (one, two, theirs))
        label = f"{name}, {len(state.stems)} stems, {state.meta.duration_s:.0f} s"
        rows.append([label + ", 1 thread", np.median(one) * 1000, np.median(theirs) * 1000,
                     float(np.median(theirs / one)), ">= 2.5"])
        rows.append([label + ", 2 threads", np.median(two) * 1000, np.median(theirs) * 1000,
                     float(np.median(theirs / two)), ">= 4"])
    return rows


def bench_edit(rounds: int, bars: int) -> list[list[object]]:
    """"make the melody brighter" on the six-stem session: the render after it, cache warm."""
    from orchestria_lab.audio import render

    session = agent_session(SIX_STEMS, genre="lo-fi", bpm=90, key="Cm", bars=bars)
    state = session.state
    edits = []
    for k in range(rounds):
        session.command(f"make the melody brighter{'' if k % 2 == 0 else ' still'}")
        edits.append(session.state)
        session.rollback(6)
    shares, edit_s, full_s = [], [], []
    os.environ["ORCHESTRIA_RENDER_THREADS"] = "2"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ORCHESTRIA_DATA_DIR"] = tmp
        for edited in edits:
            render.MEMORY_CACHE.clear()
            render.render_mix(state)  # the version before the edit, as the session has it
            edit_s.append(_timed(lambda edited=edited: render.render_mix(edited)))
            full_s.append(_full(state, 2))
            shares.append(edit_s[-1] / full_s[-1])
    return [["one-stem sound edit (melody brighter), cache warm", np.median(edit_s) * 1000, np.median(full_s) * 1000,
             float(np.median(shares)), "share of full render <= 0.35"]]


def bench_song(rounds: int) -> list[list[object]]:
    """A three-minute song in five sections made by the agents: its first render, cold."""
    from orchestria_lab.audio import render

    state = agent_session(SONG, genre="lo-fi", bpm=90, key="Cm", bars=8).state
    seconds = state.meta.duration_s
    times = []
    for _ in range(rounds):
        render.MEMORY_CACHE.clear()
        times.append(_full(state, 2))
    first = float(np.median(times))
    return [[f"3-minute song, 5 sections, {len(state.stems)} stems ({seconds:.0f} s), first render", first * 1000,
             seconds / 60 * 1000, first / (seconds / 60), "share of length / 60 < 1"]]


_MEMORY_CHILD = """
import os, sys, time
sys.path.insert(0, {root!r})
def peak_mb():  # this process's own high-water mark
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024
start = peak_mb()
import numpy, pandas
plain = peak_mb()
import torch
with_torch = peak_mb()
import numba
from orchestria_lab.audio import kernels
kernels.warm()
with_numba = peak_mb()
from benchmarks.bench_render import SIX_STEMS, agent_session
state = agent_session(SIX_STEMS, genre="lo-fi", bpm=100, key="Cm", bars={bars}).state
from orchestria_lab.audio import render
before = peak_mb()
t0 = time.perf_counter()
render.render_mix(state, cache=False)
print(plain, with_torch, with_numba, before, peak_mb(), time.perf_counter() - t0, state.meta.duration_s)
"""


def bench_memory(bars: int) -> list[list[object]]:
    """Peak RSS of a fresh process rendering an agent-made session of ``bars`` bars at 100 bpm
    (256 bars: 10.2 minutes), and what the imports take of it."""
    import subprocess
    import textwrap

    code = _MEMORY_CHILD.format(root=str(Path(__file__).resolve().parents[1]), bars=bars)
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True,
                         env={**os.environ, "ORCHESTRIA_RENDER_THREADS": "2", "OMP_NUM_THREADS": "1"}).stdout.split()
    plain, with_torch, with_numba, before, peak, seconds, length = map(float, out)
    return [[f"render an agent-made session of {length / 60:.1f} min (6 stems; a long render mixes one stem "
             f"at a time)", seconds * 1000,
             f"{peak:.0f} MB", f"torch {with_torch - plain:.0f} MB, numba {with_numba - with_torch:.0f} MB, "
             f"the session {before - with_numba:.0f} MB", f"{peak / 1536:.2f} of 1.5 GB"]]


def main(argv: list[str] | None = None) -> None:
    import argparse

    import torch

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_render", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 rounds of 4-bar sessions, a short memory run")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per session (default 5, or 2 with --quick)")
    args, _ = parser.parse_known_args(argv if argv is not None else sys.argv[1:])  # the runner passes its names
    quick = args.quick
    torch.set_num_threads(1)
    rounds, bars = (2, 4) if quick else (5, 16)
    rounds = args.rounds or rounds
    before = os.environ.get("ORCHESTRIA_RENDER_THREADS")
    fluid = FluidSynth()
    try:
        print("Sessions made by the agents from fixed commands and seeds; FluidSynth plays the same notes from our MIDI "
              f"export in the same run. Medians of {rounds} alternating rounds; ratios > 1: we are faster.\n")
        print(table(["agent-made session, full render", "ours ms", "FluidSynth ms", "FluidSynth / ours", "target"],
                    bench_sessions(rounds, bars, fluid)))
        print()
        print(table(["edit", "ours ms", "full render ms", "share", "target"], bench_edit(rounds, bars)))
        print()
        print(table(["song", "ours ms", "length / 60 ms", "share", "target"], bench_song(1 if quick else 3)))
        print()
        print(table(["memory", "ms", "peak RSS", "taken at import and set-up", "share"],
                    bench_memory(16 if quick else 256)))
    finally:
        fluid.synth.delete()
        if before is None:
            os.environ.pop("ORCHESTRIA_RENDER_THREADS", None)
        else:
            os.environ["ORCHESTRIA_RENDER_THREADS"] = before


if __name__ == "__main__":
    main()
