"""The shared vocabulary: roles, instruments, effect types and General MIDI numbers.

Stem JSON, tables, agents, the parser and the audio engine all speak these names.

>>> "chords" in ROLES, "electric_piano" in INSTRUMENTS, "reverb" in EFFECT_TYPES
(True, True, True)
>>> GM_DRUMS["kick"], GM_PROGRAMS["electric_piano"]
(36, 4)
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("drums", "bass", "chords", "melody", "pad", "lead", "arp", "percussion", "fx")

#: Roles whose notes are General MIDI drum numbers rather than pitches.
DRUM_ROLES = frozenset({"drums", "percussion"})

INSTRUMENTS: tuple[str, ...] = (
    "piano", "electric_piano", "organ", "strings", "pad", "synth_lead", "pluck", "guitar",
    "synth_bass", "sub_bass", "bass_guitar", "bells", "brass", "drum_kit",
)

EFFECT_TYPES: tuple[str, ...] = (
    "reverb", "delay", "chorus", "distortion", "compressor", "eq", "lowpass", "highpass",
    "bitcrusher", "tape", "vinyl", "limiter",
)

#: General MIDI program (0-based) per instrument, for MIDI export and import.
GM_PROGRAMS: dict[str, int] = {
    "piano": 0, "electric_piano": 4, "organ": 16, "strings": 48, "pad": 89, "synth_lead": 81,
    "pluck": 45, "guitar": 25, "synth_bass": 38, "sub_bass": 38, "bass_guitar": 33,
    "bells": 14, "brass": 61, "drum_kit": 0,
}

#: General MIDI percussion key numbers (channel 10) per drum voice.
GM_DRUMS: dict[str, int] = {
    "kick": 36, "rim": 37, "snare": 38, "clap": 39, "snare_2": 40, "low_tom": 41,
    "closed_hat": 42, "mid_low_tom": 45, "pedal_hat": 44, "open_hat": 46, "mid_tom": 47,
    "high_tom": 50, "crash": 49, "ride": 51, "tambourine": 54, "cowbell": 56, "shaker": 70,
}

#: Default instrument for each role.
DEFAULT_INSTRUMENT: dict[str, str] = {
    "drums": "drum_kit", "percussion": "drum_kit", "bass": "synth_bass", "chords": "piano",
    "melody": "electric_piano", "pad": "pad", "lead": "synth_lead", "arp": "pluck", "fx": "bells",
}

#: The usual pitch range (MIDI low, high) of each pitched role.
ROLE_RANGES: dict[str, tuple[int, int]] = {
    "bass": (28, 55), "chords": (48, 79), "pad": (48, 84), "melody": (60, 88),
    "lead": (62, 91), "arp": (55, 91), "fx": (60, 96),
}
