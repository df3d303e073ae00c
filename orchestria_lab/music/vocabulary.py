"""The shared vocabulary: one record per role and per instrument, effect types, General MIDI numbers.

Stem JSON, tables, agents, the parser and the audio engine all speak these names.

>>> "chords" in ROLES, "electric_piano" in INSTRUMENTS, "reverb" in EFFECT_TYPES
(True, True, True)
>>> GM_DRUMS["kick"], GM_PROGRAMS["electric_piano"]
(36, 4)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    """A part a stem plays: its default instrument, its usual pitch range (MIDI low, high; None for
    drums), whether its notes are drum numbers, the words that name it, and how loud it sits in a
    mix: LU against the kick and bass (0), as an engineer balances a record (the genres' own
    departures: :mod:`orchestria_lab.music.levels`)."""

    name: str
    default: str
    range: tuple[int, int] | None = None
    drums: bool = False
    words: tuple[str, ...] = ()
    level: float = 0.0


@dataclass(frozen=True)
class Instrument:
    """An instrument: the part it plays when named alone ("add an organ": chords), its General MIDI
    program (0-based, for MIDI export and import) and the words that name it. Its sound is its
    patch (:data:`orchestria_lab.audio.instruments.PATCHES`)."""

    name: str
    role: str
    gm_program: int
    words: tuple[str, ...] = ()


ROLE_RECORDS: dict[str, Role] = {r.name: r for r in (
    Role("drums", default="drum_kit", level=0.0, drums=True, words=
         ("drums", "drum", "beat", "beats", "groove", "drum beat", "drum loop", "drum track",
          "drum pattern", "drumbeat", "drum part", "rhythm section", "kit", "drum kit",
          "drum groove", "percussion track")),
    Role("bass", default="synth_bass", level=0.0, range=(28, 55), words=
         ("bass", "bassline", "bass line", "bass part", "low end", "basses", "bass track",
          "bass lines")),
    Role("chords", default="piano", level=-6.0, range=(48, 79), words=
         ("chords", "chord", "chord progression", "progression", "harmony", "harmonies",
          "comping", "stabs", "chord stabs", "chord part")),
    Role("melody", default="electric_piano", level=-4.0, range=(60, 88), words=
         ("countermelody", "counter melody", "counter-melody", "melody", "melodies", "tune",
          "topline", "top line", "riff", "motif", "melodic line", "theme", "melody line")),
    Role("pad", default="pad", level=-10.0, range=(48, 84), words=
         ("pad", "pads", "atmosphere", "drone", "texture", "bed", "soundscape")),
    Role("lead", default="synth_lead", level=-3.0, range=(62, 91), words=
         ("lead", "leads", "lead line", "lead part")),
    Role("arp", default="pluck", level=-8.0, range=(55, 91), words=
         ("arp", "arps", "arpeggio", "arpeggios", "arpeggiator", "arpeggiated", "arpeggiate")),
    Role("percussion", default="drum_kit", level=-9.0, drums=True, words=
         ("percussion", "perc", "percs", "shaker", "shakers", "congas", "conga", "bongos",
          "bongo", "tambourine", "tambourines", "cowbell", "hand percussion")),
    Role("fx", default="bells", level=-12.0, range=(60, 96), words=
         ("fx", "sfx", "riser", "risers", "uplifter", "uplifters", "sweep", "sweeps", "ear candy", "sound effects",
          "transitions")),
)}
INSTRUMENT_RECORDS: dict[str, Instrument] = {i.name: i for i in (
    Instrument("piano", role="chords", gm_program=0, words=
               ("piano", "pianos", "acoustic piano", "grand piano", "grand", "upright piano",
                "keys piano")),
    Instrument("electric_piano", role="chords", gm_program=4, words=
               ("electric piano", "e-piano", "e piano", "ep", "rhodes", "fender rhodes",
                "wurlitzer", "wurli", "epiano", "electric keys")),
    Instrument("organ", role="chords", gm_program=16, words=
               ("organ", "organs", "hammond", "b3", "church organ", "hammond organ")),
    Instrument("strings", role="pad", gm_program=48, words=
               ("strings", "string", "violin", "violins", "viola", "cello", "cellos",
                "string section", "orchestra", "orchestral strings", "fiddle", "string ensemble")),
    Instrument("pad", role="pad", gm_program=89, words=
               ("synth pad", "analog pad", "choir pad", "choir", "choirs", "vocal pad", "oohs",
                "aahs", "ooh pad")),
    Instrument("synth_lead", role="lead", gm_program=81, words=
               ("synth lead", "lead synth", "synth", "synths", "saw lead", "synthesizer",
                "synthesiser", "lead sound", "flute", "whistle")),
    Instrument("pluck", role="arp", gm_program=45, words=
               ("pluck", "plucks", "plucky", "pluck synth", "harp", "kalimba", "marimba",
                "plucked")),
    Instrument("guitar", role="chords", gm_program=25, words=
               ("guitar", "guitars", "acoustic guitar", "electric guitar", "gtr", "nylon guitar",
                "acoustic")),
    Instrument("synth_bass", role="bass", gm_program=38, words=
               ("synth bass", "synth-bass", "moog bass", "reese", "reese bass", "analog bass")),
    Instrument("sub_bass", role="bass", gm_program=38, words=
               ("sub bass", "sub-bass", "808", "808s", "sub", "subs", "eight oh eight",
                "808 bass")),
    Instrument("bass_guitar", role="bass", gm_program=33, words=
               ("bass guitar", "electric bass", "fingered bass", "upright bass", "double bass",
                "slap bass", "bass gtr")),
    Instrument("bells", role="melody", gm_program=14, words=
               ("bells", "bell", "glockenspiel", "glock", "celesta", "music box", "chimes",
                "vibraphone", "xylophone")),
    Instrument("brass", role="chords", gm_program=61, words=
               ("brass", "horns", "horn", "trumpet", "trumpets", "trombone", "sax", "saxophone",
                "horn section", "brass section")),
    Instrument("drum_kit", role="drums", gm_program=0, words=
               ("drum kit", "acoustic kit", "drum machine")),
)}

ROLES: tuple[str, ...] = tuple(ROLE_RECORDS)
#: Roles whose notes are General MIDI drum numbers rather than pitches.
DRUM_ROLES = frozenset(r.name for r in ROLE_RECORDS.values() if r.drums)
INSTRUMENTS: tuple[str, ...] = tuple(INSTRUMENT_RECORDS)
#: The part each instrument plays when it is named alone.
INSTRUMENT_ROLE: dict[str, str] = {i.name: i.role for i in INSTRUMENT_RECORDS.values()}

EFFECT_TYPES: tuple[str, ...] = (
    "reverb", "delay", "chorus", "distortion", "compressor", "eq", "lowpass", "highpass",
    "bitcrusher", "tape", "vinyl", "limiter",
)

#: General MIDI program (0-based) per instrument, for MIDI export and import.
GM_PROGRAMS: dict[str, int] = {i.name: i.gm_program for i in INSTRUMENT_RECORDS.values()}

#: General MIDI percussion key numbers (channel 10) per drum voice.
GM_DRUMS: dict[str, int] = {
    "kick": 36, "rim": 37, "snare": 38, "clap": 39, "snare_2": 40, "low_tom": 41,
    "closed_hat": 42, "mid_low_tom": 45, "pedal_hat": 44, "open_hat": 46, "mid_tom": 47,
    "high_tom": 50, "crash": 49, "ride": 51, "tambourine": 54, "cowbell": 56, "shaker": 70,
}

#: Default instrument for each role.
DEFAULT_INSTRUMENT: dict[str, str] = {r.name: r.default for r in ROLE_RECORDS.values()}

#: The usual pitch range (MIDI low, high) of each pitched role.
ROLE_RANGES: dict[str, tuple[int, int]] = {r.name: r.range for r in ROLE_RECORDS.values() if r.range}
