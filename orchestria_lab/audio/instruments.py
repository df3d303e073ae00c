"""The patch library and the adjectives that move it.

A :class:`Patch` is an engine (``wavetable``, ``fm``, ``pluck`` or ``drums``) and a set of
parameters with names a musician knows: ``cutoff``, ``attack``, ``release``, ``detune``,
``vibrato`` ... :data:`TONE_PARAMS` declares every one (type, range, unit, description). A
stem's ``tone`` holds overrides applied over its patch's defaults at render time, and
:func:`apply_adjective` turns a word ("warm", "bright", "punchy", "lo-fi" ...) into new
overrides. Adjectives that are better done by an effect also name it in
:data:`ADJECTIVE_EFFECTS`, so the sound agent can add it.

>>> from orchestria_lab.music.vocabulary import INSTRUMENTS
>>> sorted(PATCHES) == sorted(INSTRUMENTS)
True
>>> apply_adjective("piano", {}, "dark")
{'cutoff': 1350.0, 'env_amount': 1.65}
>>> apply_adjective("piano", {"cutoff": 2000.0}, "bright", amount=0.5)
{'cutoff': 2828.427, 'env_amount': 2.5, 'saw': 0.625}
>>> ADJECTIVE_EFFECTS["dusty"]
('vinyl', 'tape')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orchestria_lab.audio.spec import ParamSpec
from orchestria_lab.errors import InvalidValue

ENGINES = ("wavetable", "fm", "pluck", "drums")


def _t(name: str, low: float, high: float, unit: str, description: str, type_: str = "float") -> ParamSpec:
    return ParamSpec(name, type_, None, low, high, unit, description)


#: Every tone parameter a patch may have: range, unit and what it does.
TONE_PARAMS: dict[str, ParamSpec] = {p.name: p for p in (
    _t("saw", 0, 1, "", "sawtooth level: bright, buzzy"),
    _t("square", 0, 1, "", "square level: hollow, woody"),
    _t("triangle", 0, 1, "", "triangle level: soft, flute-like"),
    _t("sine", 0, 1, "", "sine level: pure fundamental"),
    _t("sub", 0, 1, "", "sine an octave below: weight"),
    _t("noise", 0, 1, "", "breath or hammer noise at the note start"),
    _t("noise_decay", 0.005, 5, "s", "how long the noise lasts"),
    _t("voices", 1, 7, "", "unison voices per note", "int"),
    _t("detune", 0, 50, "cents", "spread of the unison voices"),
    _t("width", 0, 1, "", "stereo spread of the unison voices"),
    _t("cutoff", 50, 20000, "Hz", "filter cutoff: brightness"),
    _t("resonance", 0, 1, "", "filter peak at the cutoff"),
    _t("keytrack", 0, 1, "", "how much the cutoff follows the pitch"),
    _t("env_amount", 0, 8, "oct", "how far the filter opens at the note start"),
    _t("filter_decay", 0.01, 10, "s", "how fast the filter closes again"),
    _t("attack", 0.001, 5, "s", "fade-in time"),
    _t("decay", 0.01, 30, "s", "time to fall 60 dB towards the sustain level"),
    _t("sustain", 0, 1, "", "level held while the key is down"),
    _t("release", 0.01, 10, "s", "time to fall 60 dB after the key is let go"),
    _t("key_decay", 0, 1, "", "how much faster high notes decay"),
    _t("vibrato", 0, 100, "cents", "pitch wobble depth"),
    _t("vibrato_rate", 0.1, 10, "Hz", "pitch wobble speed"),
    _t("velocity", 0, 1, "", "how much loudness and brightness follow velocity"),
    _t("level", -24, 12, "dB", "output level of the patch"),
    _t("fm_ratio", 0.25, 16, "", "modulator to carrier frequency ratio"),
    _t("fm_index", 0, 20, "", "FM depth: bell and bark"),
    _t("fm_decay", 0.01, 10, "s", "how fast the FM brightness dies"),
    _t("brightness", 0, 1, "", "string or cymbal brightness"),
    _t("pick", 0.02, 0.5, "", "plucking point along the string"),
    _t("tune", -12, 12, "st", "drum tuning in semitones"),
    _t("punch", 0, 1, "", "drum attack click and body thump"),
    _t("snap", 0, 1, "", "snare wires and clap noise"),
    _t("decay_scale", 0.25, 4, "x", "drum decay multiplier"),
)}


@dataclass(frozen=True)
class Patch:
    """An instrument: engine, default parameters and, for organs, the harmonic drawbars."""

    name: str
    engine: str
    description: str
    params: Mapping[str, float]
    partials: tuple[float, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise InvalidValue("engine", self.engine, "one of " + ", ".join(ENGINES))
        unknown = set(self.params) - set(TONE_PARAMS)
        if unknown:
            raise InvalidValue("patch parameter", sorted(unknown)[0], "one of " + ", ".join(TONE_PARAMS))

    @property
    def pure(self) -> bool:
        """A near-sine patch (a sub bass): no harmonics for an EQ to lift, so brightness has to be
        made (saturation) rather than boosted."""
        p = self.params
        return self.engine == "wavetable" and p.get("sine", 0) >= 0.8 and p.get("saw", 0) + p.get("square", 0) < 0.1

    def resolve(self, tone: Mapping[str, Any] | None = None) -> dict[str, float]:
        """Defaults with ``tone`` overrides, each checked against :data:`TONE_PARAMS`."""
        out = dict(self.params)
        for name, value in (tone or {}).items():
            if name not in self.params:
                raise InvalidValue(f"{self.name} tone parameter", name, "one of " + ", ".join(sorted(self.params)))
            out[name] = TONE_PARAMS[name].check(value, owner=self.name)
        return out


_ENV = dict(attack=0.005, decay=1.0, sustain=1.0, release=0.3, key_decay=0.0, velocity=0.6, level=0.0)
_FILTER = dict(cutoff=4000.0, resonance=0.1, keytrack=0.3, env_amount=0.0, filter_decay=0.5)
_OSC = dict(saw=0.0, square=0.0, triangle=0.0, sine=0.0, sub=0.0, noise=0.0, noise_decay=0.05,
            voices=1, detune=0.0, width=0.0, vibrato=0.0, vibrato_rate=5.0)


def _wt(name: str, description: str, partials: tuple[float, ...] = (), **params: float) -> Patch:
    return Patch(name, "wavetable", description, {**_OSC, **_FILTER, **_ENV, **params}, partials)


_DRUM = dict(tune=0.0, punch=0.5, snap=0.5, decay_scale=1.0, brightness=0.5, velocity=0.7, level=0.0)

PATCHES: dict[str, Patch] = {p.name: p for p in (
    _wt("piano", "Bright hammered strings that ring and fade.",
        saw=0.55, triangle=0.6, sine=0.3, voices=2, detune=2.0, width=0.3, noise=0.08, noise_decay=0.02,
        cutoff=3000.0, keytrack=0.6, env_amount=2.2, filter_decay=0.6, attack=0.002, decay=6.0,
        sustain=0.0, release=0.35, key_decay=0.6, velocity=0.8),
    Patch("electric_piano", "fm", "Soft tine electric piano with a bell-like bark when hit hard.",
          {**_ENV, "attack": 0.002, "decay": 4.0, "sustain": 0.0, "release": 0.3, "key_decay": 0.5,
           "fm_ratio": 1.0, "fm_index": 2.2, "fm_decay": 0.5, "velocity": 0.8, "vibrato": 0.0,
           "vibrato_rate": 5.0, "voices": 1, "detune": 0.0, "width": 0.0}),
    _wt("organ", "Drawbar organ: pipes at 16', 8', 5 1/3', 4', 2 2/3', 2'.",
        partials=(0.8, 1.0, 0.6, 0.5, 0.0, 0.3, 0.0, 0.25), voices=1, cutoff=9000.0, keytrack=0.0,
        attack=0.006, release=0.06, noise=0.04, noise_decay=0.008, velocity=0.2, vibrato=6.0,
        vibrato_rate=6.5),
    _wt("strings", "String ensemble: bowed saws, slow swell, vibrato.",
        saw=1.0, voices=3, detune=9.0, width=0.8, cutoff=3500.0, keytrack=0.4, attack=0.25,
        decay=2.0, sustain=0.85, release=0.9, vibrato=9.0, vibrato_rate=5.2),
    _wt("pad", "Warm, wide synth pad that breathes in and out.",
        saw=0.7, square=0.4, voices=2, detune=12.0, width=1.0, cutoff=1600.0, resonance=0.2,
        keytrack=0.3, attack=0.6, decay=3.0, sustain=0.8,
        release=1.5, velocity=0.3),
    _wt("synth_lead", "Singing mono lead: square and saw, delayed vibrato.",
        saw=0.6, square=0.7, voices=2, detune=6.0, width=0.4, cutoff=2600.0, resonance=0.3,
        keytrack=0.6, env_amount=1.5, filter_decay=0.3, attack=0.01, decay=1.0, sustain=0.8,
        release=0.2, vibrato=18.0, vibrato_rate=5.5),
    Patch("pluck", "pluck", "Bright plucked synth string that dies away quickly.",
          {**_ENV, "attack": 0.001, "decay": 0.9, "release": 0.15, "key_decay": 0.4,
           "brightness": 0.8, "pick": 0.1, "velocity": 0.7}),
    Patch("guitar", "pluck", "Nylon-and-steel plucked guitar string.",
          {**_ENV, "attack": 0.001, "decay": 3.0, "release": 0.2, "key_decay": 0.5,
           "brightness": 0.55, "pick": 0.18, "velocity": 0.7}),
    _wt("synth_bass", "Punchy analogue bass: saw plus sub, snappy filter.",
        saw=0.9, sub=0.6, voices=1, cutoff=500.0, resonance=0.35, keytrack=0.5, env_amount=2.5,
        filter_decay=0.18, attack=0.003, decay=1.5, sustain=0.6, release=0.08, velocity=0.7),
    _wt("sub_bass", "Deep sine sub bass felt more than heard.",
        sine=1.0, triangle=0.15, cutoff=400.0, keytrack=0.0, attack=0.008, sustain=1.0, release=0.1,
        velocity=0.4),
    Patch("bass_guitar", "pluck", "Round electric bass guitar.",
          {**_ENV, "attack": 0.002, "decay": 4.0, "release": 0.1, "key_decay": 0.3,
           "brightness": 0.3, "pick": 0.22, "velocity": 0.6}),
    Patch("bells", "fm", "Glassy FM bells with inharmonic shimmer.",
          {**_ENV, "attack": 0.001, "decay": 5.0, "sustain": 0.0, "release": 1.5, "key_decay": 0.4,
           "fm_ratio": 3.5, "fm_index": 3.0, "fm_decay": 1.5, "velocity": 0.6, "vibrato": 0.0,
           "vibrato_rate": 5.0, "voices": 1, "detune": 0.0, "width": 0.0}),
    _wt("brass", "Brass section: saw with a filter that swells open as the note speaks.",
        saw=1.0, voices=2, detune=5.0, width=0.5, cutoff=900.0, resonance=0.1, keytrack=0.7,
        env_amount=1.8, filter_decay=0.4, attack=0.05, decay=1.5, sustain=0.75, release=0.2,
        vibrato=7.0, vibrato_rate=5.0, velocity=0.8),
    Patch("drum_kit", "drums", "Synthesised kit on General MIDI drum numbers.", _DRUM),
)}

#: Words a musician uses for sound, and how each moves a patch: ``(multiply, add)`` per parameter.
_MOVES: dict[str, dict[str, tuple[float, float]]] = {
    "warm": {"cutoff": (0.7, 0), "saw": (0.8, 0), "triangle": (1, 0.15), "resonance": (0.7, 0),
             "brightness": (0.8, 0), "fm_index": (0.75, 0), "detune": (1.2, 0)},
    "bright": {"cutoff": (2.0, 0), "env_amount": (1, 0.6), "brightness": (1, 0.25), "fm_index": (1.4, 0),
               "saw": (1, 0.15)},
    "dark": {"cutoff": (0.45, 0), "env_amount": (0.75, 0), "brightness": (0.6, 0), "fm_index": (0.6, 0)},
    "soft": {"attack": (2.5, 0.01), "velocity": (0.6, 0), "cutoff": (0.8, 0), "punch": (0.5, 0),
             "fm_index": (0.7, 0)},
    "punchy": {"attack": (0.4, 0), "filter_decay": (0.6, 0), "env_amount": (1, 0.8), "punch": (1, 0.35),
               "velocity": (1, 0.15), "decay_scale": (0.85, 0)},
    "airy": {"noise": (1, 0.08), "cutoff": (1.5, 0), "release": (1.5, 0), "width": (1, 0.3)},
    "lush": {"voices": (1, 2), "detune": (1.5, 4), "width": (1, 0.4), "release": (1.4, 0),
             "vibrato": (1.2, 0)},
    "crisp": {"cutoff": (1.6, 0), "attack": (0.5, 0), "filter_decay": (0.6, 0), "snap": (1, 0.25),
              "brightness": (1, 0.2), "release": (0.8, 0)},
    "deep": {"sub": (1, 0.35), "cutoff": (0.75, 0), "tune": (1, -2), "sine": (1, 0.2), "decay_scale": (1.2, 0)},
    "dusty": {"cutoff": (0.6, 0), "resonance": (0.8, 0), "brightness": (0.7, 0), "detune": (1, 3),
              "fm_index": (0.8, 0)},
    "mellow": {"cutoff": (0.6, 0), "saw": (0.6, 0), "triangle": (1, 0.2), "attack": (1.5, 0),
               "brightness": (0.75, 0)},
    "gritty": {"resonance": (1, 0.3), "saw": (1, 0.2), "square": (1, 0.15), "noise": (1, 0.04),
               "snap": (1, 0.2)},
    "wide": {"width": (1, 0.5), "voices": (1, 2), "detune": (1.3, 3)},
    "tight": {"release": (0.5, 0), "decay_scale": (0.7, 0), "filter_decay": (0.7, 0)},
}
_MOVES["lo-fi"] = {**_MOVES["dusty"], "cutoff": (0.5, 0)}

#: Every adjective :func:`apply_adjective` understands.
ADJECTIVES: tuple[str, ...] = tuple(_MOVES)

#: Effects that carry an adjective further than the patch can (the sound agent may add them).
ADJECTIVE_EFFECTS: dict[str, tuple[str, ...]] = {
    "warm": ("tape",), "bright": ("eq",), "dark": ("lowpass",), "soft": ("compressor",),
    "punchy": ("compressor",), "airy": ("reverb",), "lush": ("chorus", "reverb"), "crisp": ("eq",),
    "deep": ("eq",), "dusty": ("vinyl", "tape"), "lo-fi": ("vinyl", "tape", "bitcrusher"),
    "mellow": ("lowpass",), "gritty": ("distortion",), "wide": ("chorus",), "tight": ("compressor",),
}

#: What carries an adjective on a :attr:`Patch.pure` tone, where an EQ has nothing to move.
PURE_TONE_EFFECTS: dict[str, tuple[str, ...]] = {"bright": ("distortion",), "crisp": ("distortion",)}

#: Where the tone EQ's shelves sit: low end below, presence and air above.
TONE_LOW_HZ, TONE_HIGH_HZ = 250.0, 1100.0
#: How each adjective tilts a stem's tone EQ (low and high shelf, dB per unit of amount); a
#: negative amount tilts the other way. This is what moves every stem, drums and sines
#: included, where a patch has no parameter for the word (measured in eval/sound.py terms:
#: +1 "bright" raises a warm piano's spectral centroid about 19 %, measured on the suites' sessions).
TONE_EQ: dict[str, dict[str, float]] = {
    "bright": {"low_gain": -2.5, "high_gain": 6.0}, "dark": {"low_gain": 2.5, "high_gain": -6.0}, "warm": {"low_gain": 2.0, "high_gain": -3.0},
    "mellow": {"high_gain": -4.0}, "crisp": {"low_gain": -4.0, "high_gain": 3.0}, "deep": {"low_gain": 5.0},
    "airy": {"high_gain": 3.0}, "dusty": {"high_gain": -3.0}, "lo-fi": {"high_gain": -4.0},
    "soft": {"high_gain": -2.0},
}
#: The most a tone EQ shelf moves, either way.
TONE_EQ_LIMIT_DB = 12.0


def tone_shelf_hz(pitches: Sequence[int]) -> float:
    """Where a part's tone EQ puts its high shelf: above its second harmonic, where brightness lives
    for that register (a bass's is low, a lead's high), inside [:data:`TONE_LOW_HZ` + 100,
    :data:`TONE_HIGH_HZ`]; :data:`TONE_HIGH_HZ` for drums and parts with no notes.

    >>> tone_shelf_hz([]), tone_shelf_hz([36, 40]), tone_shelf_hz([60, 64, 67])
    (1100.0, 350.0, 824.0)
    """
    if not pitches:
        return TONE_HIGH_HZ
    f0 = 440.0 * 2 ** ((float(np.median(pitches)) - 69) / 12)
    return float(round(min(TONE_HIGH_HZ, max(TONE_LOW_HZ + 100, 2.5 * f0))))


def tone_eq(params: Mapping[str, Any], adjective: str, *, amount: float = 1.0,
            high_hz: float = TONE_HIGH_HZ) -> dict[str, float] | None:
    """A tone EQ's parameters (``params``, an eq effect's) tilted by ``adjective``; None when the word
    has no tilt. A new EQ puts its high shelf at ``high_hz`` (:func:`tone_shelf_hz`); an existing
    one keeps its frequencies, so moves add up.

    >>> tone_eq({}, "bright")
    {'high_freq': 1100.0, 'high_gain': 6.0, 'low_freq': 250.0, 'low_gain': -2.5}
    >>> tone_eq({"high_gain": 6.0, "high_freq": 700.0}, "bright", amount=-1.0)
    {'high_freq': 700.0, 'high_gain': 0.0, 'low_freq': 250.0, 'low_gain': 2.5}
    """
    move = TONE_EQ.get(adjective)
    if move is None:
        return None
    out = {"low_freq": TONE_LOW_HZ, "high_freq": float(high_hz), **dict(params)}
    for name, db in move.items():
        value = float(out.get(name, 0.0)) + db * amount
        out[name] = round(min(TONE_EQ_LIMIT_DB, max(-TONE_EQ_LIMIT_DB, value)), 2)
    return dict(sorted(out.items()))


def patch(instrument: str) -> Patch:
    """The patch for ``instrument``; an unknown name lists the valid ones."""
    if instrument not in PATCHES:
        raise InvalidValue("instrument", instrument, "one of " + ", ".join(PATCHES))
    return PATCHES[instrument]


def apply_adjective(instrument: str, tone: Mapping[str, Any], adjective: str, *,
                    amount: float = 1.0) -> dict[str, float]:
    """New tone overrides for ``instrument`` after moving ``tone`` by ``adjective``.

    ``amount`` scales the move (0.5 is "a bit", 2 is "very"); results stay inside each
    parameter's range. Returns the full override dict (the old overrides plus the moved
    parameters), ready for ``stem.evolve(tone=...)``.
    """
    word = adjective.strip().lower().replace("lofi", "lo-fi").replace("lo fi", "lo-fi")
    if word not in _MOVES:
        raise InvalidValue("adjective", adjective, "one of " + ", ".join(ADJECTIVES))
    p = patch(instrument)
    current = p.resolve(tone)
    out = {k: v for k, v in dict(tone).items()}
    for name, (mul, add) in _MOVES[word].items():
        if name not in current:
            continue
        spec = TONE_PARAMS[name]
        value = current[name] * mul**amount + add * amount
        value = min(max(value, spec.low), spec.high)
        out[name] = int(round(value)) if spec.type == "int" else round(float(value), 3)
    return out


def describe_tone(instrument: str, tone: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The resolved parameters of ``instrument`` with ``tone``, and which differ from the patch.

    >>> describe_tone("sub_bass", {"cutoff": 300.0})["changed"]
    {'cutoff': (400.0, 300.0)}
    """
    p = patch(instrument)
    resolved = p.resolve(tone)
    changed = {k: (p.params[k], v) for k, v in resolved.items() if v != p.params[k]}
    return {"instrument": instrument, "engine": p.engine, "description": p.description,
            "params": resolved, "changed": changed}
