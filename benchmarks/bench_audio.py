"""Audio engine speed and memory, each figure a ratio measured in this one run.

* Effects on 60 s of stereo 44.1 kHz audio against pedalboard (JUCE, GPL: a baseline here
  only): eq and filters, compressor, delay, convolution reverb (pedalboard's Convolution
  with the same impulse response) and chorus.
* Rendering a 16-bar, 6-stem session with effects against FluidSynth (one preloaded synth,
  the SoundFont that ships with pretty_midi) playing the same notes from our MIDI export;
  then re-rendering after an edit to one stem, as a share of the full render.
* Mixing 16 stems against this machine's memory bandwidth (a large ``numpy`` copy).
* Peak memory (RSS of a fresh process) rendering a 10-minute session.

``python -m benchmarks audio``; ``python benchmarks/bench_audio.py --quick`` for a smoke run.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from benchmarks.timing import table
from orchestria_lab.audio import effects as fx
from orchestria_lab.audio import render
from orchestria_lab.audio.space import reverb_ir
from orchestria_lab.music.midi import state_to_midi
from orchestria_lab.state import Effect, Meta, Note, State, Stem

SR = 44100
ROOT = Path(__file__).resolve().parents[1]
CHORDS = [(57, 60, 64, 67), (53, 57, 60, 64), (48, 52, 55, 59), (55, 59, 62, 65)]


def paired(ours, theirs, *, repeat: int) -> tuple[float, float, float]:
    """Median seconds of ``ours`` and ``theirs`` run alternately, and the median of their ratios.

    On a shared machine the load drifts; alternating and taking the ratio of each pair keeps
    a slow moment from landing on one side only. Who goes first alternates too: whatever runs
    right after the other library pays for the caches it left behind.
    """
    ours(), theirs()  # warm-up
    a, b = [], []
    for k in range(repeat):
        first, second = (ours, theirs) if k % 2 == 0 else (theirs, ours)
        t0 = time.perf_counter()
        first()
        t1 = time.perf_counter()
        second()
        t2 = time.perf_counter()
        a.append(t1 - t0 if k % 2 == 0 else t2 - t1)
        b.append(t2 - t1 if k % 2 == 0 else t1 - t0)
    return float(np.median(a)), float(np.median(b)), float(np.median(np.array(b) / np.array(a)))


def session_state(bars: int = 16, *, bpm: float = 120, sr: int = SR, seed: int = 1) -> State:
    """A 6-stem pop loop with effects on every stem: the benchmark's session."""
    chords, bass, drums, melody, pad, lead = [], [], [], [], [], []
    for bar in range(bars):
        c = CHORDS[bar % 4]
        t = bar * 4.0
        chords += [Note(p, t + off, 1.75, 80) for off in (0.0, 2.0) for p in c]
        bass += [Note(c[0] - 24 + (12 if b % 2 else 0), t + b, 0.9, 100) for b in range(4)]
        drums += [Note(36 if b in (0, 2) else 38, t + b, 0.25, 110) for b in range(4)]
        drums += [Note(42, t + e / 2, 0.25, 70 + 20 * (e % 2)) for e in range(8)] + [Note(46, t + 3.5, 0.5, 90)]
        melody += [Note(c[(b * 3) % 4] + 12, t + b / 2, 0.45, 90) for b in range(8)]
        pad += [Note(p + 12, t, 4.0, 70) for p in c[1:]]
        lead += [Note(72 + (bar * 5 + b * 7) % 12, t + b, 0.9, 100) for b in range(4)]
    stems = (
        Stem("chords", "chords", "piano", notes=chords, effects=[Effect("reverb", {"mix": 0.3})]),
        Stem("bass", "bass", "synth_bass", notes=bass, effects=[Effect("compressor")]),
        Stem("drums", "drums", "drum_kit", notes=drums, effects=[Effect("compressor"), Effect("eq", {"high_gain": 2.0})]),
        Stem("melody", "melody", "pluck", notes=melody, effects=[Effect("delay")], gain_db=-4, pan=0.3),
        Stem("pad", "pad", "pad", notes=pad, effects=[Effect("chorus"), Effect("reverb", {"decay": 3.0})], gain_db=-8),
        Stem("lead", "lead", "synth_lead", notes=lead, effects=[Effect("delay", {"ping_pong": True}),
                                                                 Effect("eq", {"mid_gain": 3.0})], gain_db=-6),
    )
    return State(Meta(bpm=bpm, key="Am", genre="pop", bars=bars, sample_rate=sr, seed=seed), stems)


def bench_effects(seconds: float, repeat: int) -> list[list[object]]:
    import pedalboard as pb

    rng = np.random.default_rng(0)
    n = int(SR * seconds)
    audio = (rng.standard_normal((2, n)) * 0.1).astype(np.float32)
    audio *= np.sin(np.arange(n) / SR * 2 * np.pi * 2.0).astype(np.float32) ** 2  # some dynamics
    ir = reverb_ir(SR)
    ir_path = Path(tempfile.mkdtemp()) / "ir.wav"
    sf.write(ir_path, ir.T, SR, subtype="FLOAT")
    cases = [
        ("eq (3 bands)", lambda: fx.eq(audio, SR, low_gain=3.0, mid_gain=-4.0, high_gain=2.0),
         pb.Pedalboard([pb.LowShelfFilter(120, 3.0), pb.PeakFilter(1000, -4.0, 1.0), pb.HighShelfFilter(8000, 2.0)])),
        ("lowpass 12 dB/oct", lambda: fx.lowpass(audio, SR, cutoff=2000.0),
         pb.Pedalboard([pb.LowpassFilter(2000.0)])),
        ("highpass 12 dB/oct", lambda: fx.highpass(audio, SR, cutoff=120.0),
         pb.Pedalboard([pb.HighpassFilter(120.0)])),
        ("compressor", lambda: fx.compressor(audio, SR, threshold=-18.0, ratio=4.0, attack=10.0, release=120.0),
         pb.Pedalboard([pb.Compressor(threshold_db=-18.0, ratio=4.0, attack_ms=10.0, release_ms=120.0)])),
        ("delay (0.375 s, fb 0.35, no damping: as pedalboard's)",
         lambda: fx.delay(audio, SR, bpm=120, time=0.75, feedback=0.35, mix=0.25, damping=0.0),
         pb.Pedalboard([pb.Delay(delay_seconds=0.375, feedback=0.35, mix=0.25)])),
        ("delay with damping 0.3 (ours only filters)",
         lambda: fx.delay(audio, SR, bpm=120, time=0.75, feedback=0.35, mix=0.25, damping=0.3),
         pb.Pedalboard([pb.Delay(delay_seconds=0.375, feedback=0.35, mix=0.25)])),
        (f"convolution reverb ({ir.shape[1] / SR:.1f} s IR)", lambda: fx.reverb(audio, SR, mix=0.25),
         pb.Pedalboard([pb.Convolution(str(ir_path), mix=0.25)])),
        ("chorus", lambda: fx.chorus(audio, SR, rate=0.8, depth=3.0, delay=12.0, mix=0.5),
         pb.Pedalboard([pb.Chorus(rate_hz=0.8, depth=0.25, centre_delay_ms=12.0, feedback=0.0, mix=0.5)])),
    ]
    rows = []
    for name, ours, board in cases:
        t_ours, t_pb, ratio = paired(ours, lambda board=board: board(audio, SR), repeat=repeat)
        rows.append([name, t_ours * 1000, t_pb * 1000, ratio])
    return rows


def _fluidsynth_events(state: State) -> tuple[list[tuple[int, int, int, int, int]], list[tuple[int, int, int]]]:
    """(sample, on, channel, pitch, velocity) events and (channel, bank, program) of our MIDI export."""
    pm = state_to_midi(state)
    events, programs, channel = [], [], 0
    for inst in pm.instruments:
        if inst.is_drum:
            ch = 9
        else:
            ch, channel = channel, channel + 1 + (channel + 1 == 9)
        programs.append((ch, 128 if inst.is_drum else 0, inst.program))
        for note in inst.notes:
            events.append((int(note.start * SR), 1, ch, note.pitch, note.velocity))
            events.append((int(note.end * SR), 0, ch, note.pitch, 0))
    events.sort()
    return events, programs


def bench_render(repeat: int, bars: int) -> list[list[object]]:
    import fluidsynth
    import pretty_midi

    state = session_state(bars)
    synth = fluidsynth.Synth(samplerate=float(SR))
    sfid = synth.sfload(str(Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"))
    events, programs = _fluidsynth_events(state)
    tail = 2 * SR

    def fluid() -> np.ndarray:
        for ch, bank, program in programs:
            synth.program_select(ch, sfid, bank, program)
        chunks, cursor = [], 0
        for at, on, ch, pitch, vel in events:
            if at > cursor:
                chunks.append(synth.get_samples(at - cursor))
                cursor = at
            if on:
                synth.noteon(ch, pitch, vel)
            else:
                synth.noteoff(ch, pitch)
        chunks.append(synth.get_samples(tail))
        return np.concatenate(chunks)

    melody, lead = state.stem("melody"), state.stem("lead")

    def swap(stem: Stem) -> State:
        return State(state.meta, tuple(stem if s.stem_id == stem.stem_id else s for s in state.stems))

    # "make the melody brighter": its notes keep their repeat; "change its last note": they lose it
    sound_edits = [swap(melody.evolve(tone={"brightness": 0.5 + 0.05 * k})) for k in range(repeat + 1)]
    note_edits = [swap(melody.evolve(notes=(*melody.notes[:-1], melody.notes[-1]._replace(
        pitch=melody.notes[-1].pitch + k)))) for k in range(1, repeat + 2)]
    parts = [lead.evolve(notes=[n for n in lead.notes if n.start < 32], stem_id=f"lead{k}")
             for k in range(repeat + 1)]  # the part that never repeats, with its effects, 8 bars
    eight_bars = Meta(bpm=120, key="Am", genre="pop", bars=8, sample_rate=SR)

    def timed(fn) -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    rows: dict[str, list[float]] = {k: [] for k in ("full", "fluid", "sound", "note", "stem")}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ORCHESTRIA_DATA_DIR"] = tmp
        render.MEMORY_CACHE.clear()
        render.render_mix(state)  # warm: every stem cached, impulses and spectra made
        fluid()
        for k in range(repeat + 1):  # each round times everything once, so load drifts hit all alike
            rows["full"].append(timed(lambda: render.render_mix(state, cache=False)))
            rows["fluid"].append(timed(fluid))
            render.render_mix(state)  # back to the unedited version, cached
            rows["sound"].append(timed(lambda k=k: render.render_mix(sound_edits[k])))
            rows["note"].append(timed(lambda k=k: render.render_mix(note_edits[k])))
            rows["stem"].append(timed(lambda k=k: render.render_dry_stem(
                State(eight_bars, (parts[k],)), parts[k], cache=False)))
    synth.delete()
    t = {k: np.array(v[1:]) for k, v in rows.items()}  # the first round warms up
    med = {k: float(np.median(v)) for k, v in t.items()}
    seconds = state.meta.duration_s
    return [
        [f"full render, {bars} bars x 6 stems with effects ({seconds:.0f} s)", med["full"] * 1000,
         med["fluid"] * 1000, float(np.median(t["fluid"] / t["full"])), "FluidSynth / ours, >= 2"],
        ["re-render after a sound edit to one stem (melody brighter)", med["sound"] * 1000, med["full"] * 1000,
         float(np.median(t["sound"] / t["full"])), "share of full render, <= 0.35"],
        ["re-render after a note edit to one stem (its repeat broken)", med["note"] * 1000, med["full"] * 1000,
         float(np.median(t["note"] / t["full"])), "share of full render, <= 0.35"],
        ["one 8-bar stem re-rendered (lead: synth, delay, eq; no cache)", med["stem"] * 1000, "", "", "< 100 ms"],
    ]


def bench_mixing(seconds: float, repeat: int) -> list[list[object]]:
    n = int(SR * seconds)
    rng = np.random.default_rng(0)
    stems = [Stem(f"s{i}", role="pad", instrument="pad", gain_db=-float(i % 6), pan=(i % 5 - 2) / 2)
             for i in range(16)]
    bank = rng.standard_normal((16, 2, n), dtype=np.float32) * 0.1  # rendered stems, kept for remixing
    listed = list(bank)
    moved = bank.nbytes + 2 * n * 4  # every stem read once, the mix written once
    src = np.ones((256 << 20) // 4, np.float32)  # far larger than any cache
    dst = np.empty_like(src)
    t_bank, t_copy, _ = paired(lambda: render.mix_stems(bank, stems), lambda: np.copyto(dst, src), repeat=repeat)
    t_list, _, _ = paired(lambda: render.mix_stems(listed, stems), lambda: None, repeat=repeat)
    bandwidth = 2 * src.nbytes / t_copy  # a copy reads and writes every byte
    return [[f"mix 16 stereo stems of {seconds:.0f} s, stem bank", t_bank * 1000, f"{moved / t_bank / 1e9:.2f} GB/s",
             f"{bandwidth / 1e9:.2f} GB/s (copy)", moved / t_bank / bandwidth],
            [f"mix 16 stereo stems of {seconds:.0f} s, separate arrays", t_list * 1000,
             f"{moved / t_list / 1e9:.2f} GB/s", "", moved / t_list / bandwidth]]


_MEMORY_CHILD = """
import sys, time
import torch
torch.set_num_threads(1)
sys.path.insert(0, {root!r})
from benchmarks.bench_audio import session_state
from orchestria_lab.audio import render
state = session_state({bars}, bpm={bpm})
def peak_kb():  # this process's own high-water mark (ru_maxrss would include the parent's, from fork)
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
base = peak_kb()
t0 = time.perf_counter()
mix = render.render_mix(state, cache=False)
print(base, peak_kb(), time.perf_counter() - t0, mix.shape[1])
"""


def bench_memory(minutes: float) -> list[list[object]]:
    bars = min(256, int(round(minutes * 30)))  # a session holds at most 256 bars: set the tempo to fit
    bpm = round(bars * 4 / minutes, 3)
    code = _MEMORY_CHILD.format(root=str(ROOT), bars=bars, bpm=bpm)
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         check=True, env={**os.environ, "OMP_NUM_THREADS": "1"}).stdout.split()
    base, peak, seconds = int(out[0]) / 1024, int(out[1]) / 1024, float(out[2])
    return [[f"render a {minutes:g}-minute session (6 stems, effects)", seconds * 1000, f"{peak:.0f} MB peak RSS",
             f"{base:.0f} MB after imports", peak / 1536]]


def main(argv: list[str] | None = None) -> None:
    quick = "--quick" in (argv if argv is not None else sys.argv[1:])
    torch.set_num_threads(1)
    repeat = 1 if quick else 5
    print("Shared 2-core machine, one thread each side; medians of", 2 * repeat - 1, "paired runs, who goes first",
          "alternating (renders: rounds timing every variant once). Ratios > 1: we are faster.\n")
    print(table(["effect on 60 s stereo" if not quick else "effect on 5 s stereo", "ours ms", "pedalboard ms",
                 "speed-up"], bench_effects(5.0 if quick else 60.0, 2 * repeat - 1)))
    print()
    print(table(["render", "ours ms", "baseline ms", "ratio", "target"], bench_render(2 * repeat - 1, 4 if quick else 16)))
    print()
    print(table(["mixing", "ms", "achieved", "machine", "share of bandwidth"],
                bench_mixing(5.0 if quick else 60.0, repeat)))
    print()
    print(table(["memory", "ms", "peak", "baseline", "share of 1.5 GB"], bench_memory(0.5 if quick else 10.0)))
    print("\npeak RSS of this process:", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "MB")


if __name__ == "__main__":
    main()
