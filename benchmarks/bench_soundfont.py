"""SoundFont voices: our reader and kernel against FluidSynth, the same notes, the same file (issue 14, item 4).

A 16-bar session made by the agents (drums, bass, piano chords, a melody) is voiced by FluidR3 GM
(Debian's fluid-soundfont-gm): the drums by the standard kit, the others by the General MIDI
program of their instrument. Ours renders each stem's notes through ``audio/soundfont.py`` (no
effects, no cache); FluidSynth plays our MIDI export of the same notes through the same file,
with its reverb and chorus off, to the same length. Medians over alternating runs, in one process.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.timing import table

FLUID = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SR = 44100
REPEAT = 5


def _session():
    os.environ.setdefault("ORCHESTRIA_DATA_DIR", tempfile.mkdtemp())
    from orchestria_lab.session import Session, SQLiteStore

    s = Session.create(bpm=100, key="C", genre="pop", bars=16, sample_rate=SR, seed=4, store=SQLiteStore(":memory:"),
                       soundfont=FLUID)
    for text in ("add a drum beat", "add a bass line", "add piano chords", "add a melody"):
        s.command(text)
    for stem in list(s.state.stems):
        from orchestria_lab.state import gm_program

        s.voice(stem.stem_id, "sf2:0" if stem.is_drums else f"sf2:{gm_program(stem.instrument)}")
    return s


def main() -> None:
    import fluidsynth

    from orchestria_lab.audio import soundfont
    from orchestria_lab.audio.render import on_the_clock
    from orchestria_lab.music.midi import state_to_midi

    if not FLUID.is_file():
        raise RuntimeError("FluidR3 GM is missing: apt-get install fluid-soundfont-gm")
    s = _session()
    state, meta = s.state, s.state.meta
    font = soundfont.load(FLUID)
    n = int(round(meta.duration_s * SR))
    notes = sum(len(st.notes) for st in state.stems)

    def ours() -> np.ndarray:
        return sum(soundfont.render_notes(font, st.instrument[4:], on_the_clock(meta, st.notes), drums=st.is_drums,
                                          bpm=meta.bpm, sr=SR, n_samples=n, loop=False)[:, :n] for st in state.stems)

    synth = fluidsynth.Synth(samplerate=float(SR))
    for key, value in (("synth.reverb.active", 0), ("synth.chorus.active", 0), ("synth.polyphony", 1024)):
        synth.setting(key, value)
    sfid = synth.sfload(str(FLUID))
    pm = state_to_midi(state)
    events, channel = [], 0
    for inst in pm.instruments:
        ch = 9 if inst.is_drum else channel
        channel += 0 if inst.is_drum else 1 + (channel + 1 == 9)
        synth.program_select(ch, sfid, 128 if inst.is_drum else 0, inst.program)
        events += [(int(x.start * SR), 1, ch, x.pitch, x.velocity) for x in inst.notes]
        events += [(int(x.end * SR), 0, ch, x.pitch, 0) for x in inst.notes]
    events.sort()

    def theirs() -> np.ndarray:
        chunks, cursor = [], 0
        for at, on, ch, pitch, vel in events:
            if at > cursor:
                chunks.append(synth.get_samples(at - cursor))
                cursor = at
            (synth.noteon(ch, pitch, vel) if on else synth.noteoff(ch, pitch))
        chunks.append(synth.get_samples(max(0, n - cursor)))
        return np.concatenate(chunks)

    ours(), theirs()  # warm: the kernel compiled, the file's pages read
    t_ours, t_theirs = [], []
    for i in range(REPEAT):
        for fn, times in ((ours, t_ours), (theirs, t_theirs))[:: 1 if i % 2 == 0 else -1]:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    mine, fluid = float(np.median(t_ours)), float(np.median(t_theirs))
    print(table(["render", "notes", "seconds of audio", "ours (s)", "FluidSynth (s)", "ours / FluidSynth"],
                [[f"{len(state.stems)} stems voiced by FluidR3 GM", notes, round(meta.duration_s, 1), mine, fluid,
                  round(mine / fluid, 2)]]))
    print(f"\ntarget: within 1.5x of FluidSynth: {'✓' if mine <= 1.5 * fluid else '✗'}")


if __name__ == "__main__":
    main()
