"""The effects: one stateless function per effect type, its declared spec, and ``apply_effect``.

Every function has the shape ``effect(audio, sr, *, param=default, ...) -> audio`` on
float32 ``(channels, samples)`` (time-based effects return stereo). :data:`EFFECT_SPECS`
declares each function's parameters (type, range, default, unit, description) for agents,
the REST shim and widgets; :func:`apply_effect` validates a stem's
:class:`~orchestria_lab.state.Effect` against its spec and handles tails: in a loop they
wrap round to the start (the loop plays round without a gap or a jump); in a song they
ring out past the end.

>>> from orchestria_lab.state import Effect
>>> sorted(EFFECT_SPECS) == sorted(EFFECT_TYPES)
True
>>> EFFECT_SPECS["lowpass"].validate({"cutoff": 800})
{'cutoff': 800.0, 'resonance': 0.0, 'slope': 12}
>>> import numpy as np
>>> x = np.zeros((2, 22050), np.float32); x[:, 0] = 1.0
>>> apply_effect(x, 22050, Effect("reverb", {"decay": 0.5}), bpm=120, loop=False).shape[1] > 22050
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any

import numpy as np

from orchestria_lab.audio.dsp import (
    as_audio,
    biquad,
    butterworth_qs,
    dc_block,
    kept_noise,
    noise_not_kept,
    sosfilt,
    white_noise,
)
from orchestria_lab.audio.dynamics import compressor, limiter
from orchestria_lab.audio.space import chorus, delay, reverb
from orchestria_lab.audio.spec import EffectSpec, ParamSpec
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.vocabulary import EFFECT_TYPES

__all__ = [
    "EFFECT_SPECS", "EFFECT_TYPES", "EffectSpec", "ParamSpec", "apply_chain", "apply_effect",
    "bitcrusher", "chorus", "compressor", "delay", "distortion", "eq", "highpass", "limiter",
    "lowpass", "reverb", "tape", "vinyl",
]


def _resonance_q(resonance: float) -> float:
    """0 is a Butterworth (no peak, Q 0.707); 1 is a sharp peak (Q about 12)."""
    return 0.7071 * (1.0 + 16.0 * resonance**2)


def _pass_filter(kind: str, audio: np.ndarray, sr: int, cutoff: float, resonance: float,
                 slope: int) -> np.ndarray:
    if slope not in (12, 24):
        raise InvalidValue(f"{kind}.slope", slope, "12 or 24 (dB per octave)")
    qs = butterworth_qs(slope // 6)
    qs[-1] *= _resonance_q(resonance) / 0.7071
    sos = np.concatenate([biquad(kind, cutoff, sr, q=q) for q in qs])
    return sosfilt(sos, as_audio(audio))


def lowpass(audio: np.ndarray, sr: int, *, cutoff: float = 2000.0, resonance: float = 0.0,
            slope: int = 12) -> np.ndarray:
    """Butterworth lowpass (12 or 24 dB/octave) with a resonant peak at ``cutoff`` Hz."""
    return _pass_filter("lowpass", audio, sr, cutoff, resonance, slope)


def highpass(audio: np.ndarray, sr: int, *, cutoff: float = 120.0, resonance: float = 0.0,
             slope: int = 12) -> np.ndarray:
    """Butterworth highpass (12 or 24 dB/octave) with a resonant peak at ``cutoff`` Hz."""
    return _pass_filter("highpass", audio, sr, cutoff, resonance, slope)


def eq(audio: np.ndarray, sr: int, *, low_gain: float = 0.0, low_freq: float = 120.0,
       mid_gain: float = 0.0, mid_freq: float = 1000.0, mid_q: float = 1.0,
       high_gain: float = 0.0, high_freq: float = 8000.0) -> np.ndarray:
    """Three-band EQ: low shelf, peaking mid and high shelf (gains in dB). Flat bands are skipped."""
    x = as_audio(audio)
    bands = [biquad(kind, f, sr, q=q, gain_db=g) for kind, f, q, g in (
        ("lowshelf", low_freq, 0.7071, low_gain), ("peaking", mid_freq, mid_q, mid_gain),
        ("highshelf", high_freq, 0.7071, high_gain)) if g != 0.0]
    return sosfilt(np.concatenate(bands), x) if bands else x.copy()


def distortion(audio: np.ndarray, sr: int, *, drive: float = 12.0, tone: float = 0.7,
               asymmetry: float = 0.0, mix: float = 1.0) -> np.ndarray:
    """Saturation: ``tanh`` waveshaping after ``drive`` dB of gain, level-matched to the input peak.

    ``asymmetry`` (0-1) biases the curve for even harmonics (valve warmth; the DC it makes is
    removed); ``tone`` (0-1) closes a lowpass from 24 kHz down to 800 Hz over the result.
    """
    x = as_audio(audio)
    g = np.float32(10 ** (drive / 20))
    bias = np.float32(0.5 * asymmetry)
    shaped = (np.tanh(x * g + bias) - np.tanh(bias)) / np.float32(np.tanh(g))
    if asymmetry > 0:
        shaped = dc_block(shaped, sr)
    if tone < 1.0:
        shaped = sosfilt(biquad("lowpass", 800.0 * 2 ** (5 * tone), sr), shaped)
    return (x * np.float32(1 - mix) + shaped * np.float32(mix)).astype(np.float32, copy=False)


def bitcrusher(audio: np.ndarray, sr: int, *, bits: float = 8.0, downsample: int = 4,
               mix: float = 1.0) -> np.ndarray:
    """Reduce resolution to ``bits`` and hold every ``downsample``-th sample (lo-fi grit)."""
    x = as_audio(audio)
    steps = np.float32(2 ** (bits - 1))
    y = np.round(x * steps) / steps
    if downsample > 1:
        y = np.repeat(y[:, ::downsample], downsample, axis=1)[:, : x.shape[1]]
    return (x * np.float32(1 - mix) + y * np.float32(mix)).astype(np.float32, copy=False)


def tape(audio: np.ndarray, sr: int, *, wow: float = 0.3, flutter: float = 0.2,
         saturation: float = 0.3, hiss: float = 0.05, wow_rate: float = 0.5,
         flutter_rate: float = 7.0, seed: int = 0, start: int = 0) -> np.ndarray:
    """Tape: slow pitch wow, fast flutter, soft saturation, head loss and hiss.

    ``wow`` and ``flutter`` (0-1) set the depth of the speed wander (up to 2 ms and 0.15 ms
    of delay swing); ``saturation`` (0-1) up to 12 dB of drive; ``hiss`` (0-1) up to -50 dBFS.
    ``start`` places ``audio[0]`` in the whole piece (LFO phase and noise stay continuous).
    """
    x = as_audio(audio)
    c, n = x.shape
    from orchestria_lab.audio.kernels import kernel

    ms = sr / 1000.0  # the speed wander as a delay that swings between 0 and its peak
    wander = np.array([[2.0 * wow * ms, wow_rate, 0.0], [0.15 * flutter * ms, flutter_rate, 0.0]])
    read = kernel("swept_delay")
    y = read(x, start, float(sr), float(wander[:, 0].sum()), wander)  # both tracks through one sweep
    if saturation > 0:  # in place: y is ours
        g = np.float32(10 ** (12 * saturation / 20))
        y *= g
        np.tanh(y, out=y)
        y /= np.float32(np.tanh(g))
    y = sosfilt(biquad("lowpass", 16000.0 - 6000.0 * saturation, sr), y)
    if hiss > 0:
        y += kept_noise(("tape", seed, start, c, n, sr, hiss), lambda: _hiss(seed, start, c, n, sr, hiss))
    return y.astype(np.float32, copy=False)


def _hiss(seed: int, start: int, c: int, n: int, sr: int, hiss: float) -> np.ndarray:
    noise = white_noise(np.random.default_rng((seed, start % 2**63)), (c, n))
    return sosfilt(biquad("highpass", 2000.0, sr), noise) * np.float32(10 ** ((-90 + 40 * hiss) / 20))



def vinyl(audio: np.ndarray, sr: int, *, crackle: float = 0.3, noise: float = 0.2,
          low_cut: float = 60.0, high_cut: float = 9000.0, seed: int = 0, start: int = 0) -> np.ndarray:
    """Record: band-limited between ``low_cut`` and ``high_cut`` Hz, surface noise and crackle.

    ``crackle`` (0-1) is up to 40 clicks a second; ``noise`` (0-1) up to -40 dBFS of surface
    rumble and hiss; ``start`` places ``audio[0]`` in the whole piece (the noise is its own there).
    """
    x = as_audio(audio)
    c, n = x.shape
    sos = np.concatenate([biquad("highpass", low_cut, sr), biquad("lowpass", high_cut, sr)])
    y = sosfilt(sos, x)
    if (noise > 0 or crackle > 0) and n:
        y += kept_noise(("vinyl", seed, start, c, n, sr, crackle, noise),
                        lambda: _record_noise(seed, start, c, n, sr, crackle, noise))
    return y.astype(np.float32, copy=False)


def _record_noise(seed: int, start: int, c: int, n: int, sr: int, crackle: float, noise: float) -> np.ndarray:
    """Vinyl's surface noise and crackle, ``(c, n)``: what the record adds, whatever it plays."""
    rng = np.random.default_rng((seed, start % 2**63))
    layer = np.zeros((c, n), np.float32)
    if noise > 0:
        surface = sosfilt(biquad("lowpass", 3000.0, sr), white_noise(rng, (c, n)))
        layer += surface * np.float32(10 ** ((-80 + 40 * noise) / 20))
    if crackle > 0:
        count = rng.poisson(40.0 * crackle * n / sr)
        clicks = np.zeros(n, np.float32)
        at = rng.integers(0, n, count)
        clicks[at] = (rng.uniform(0.02, 0.3, count) * rng.choice([-1, 1], count)).astype(np.float32)
        clicks = sosfilt(biquad("bandpass", 2500.0, sr, q=0.8), clicks)
        layer += clicks[None] * np.float32(0.5 + crackle)
    return layer


def _p(name: str, type_: str, default: Any, low: float | None, high: float | None, unit: str,
       description: str) -> ParamSpec:
    return ParamSpec(name, type_, default, low, high, unit, description)


def _mix(default: float) -> ParamSpec:
    return _p("mix", "float", default, 0.0, 1.0, "", "dry (0) to wet (1)")


def _filter_params(default_cutoff: float) -> tuple[ParamSpec, ...]:
    return (_p("cutoff", "float", default_cutoff, 20.0, 20000.0, "Hz", "corner frequency"),
            _p("resonance", "float", 0.0, 0.0, 1.0, "", "peak at the cutoff: 0 none, 1 sharp"),
            _p("slope", "int", 12, 12, 24, "dB/oct", "12 (2-pole) or 24 (4-pole)"))


def _filter_tail(p: Mapping[str, Any], bpm: float) -> float:
    return 0.02 + 7.0 * _resonance_q(p["resonance"]) / (np.pi * p["cutoff"])  # ringing down 60 dB


def _delay_tail(p: Mapping[str, Any], bpm: float) -> float:
    repeats = 1 + (np.log(1e-3) / np.log(p["feedback"]) if p["feedback"] > 0 else 0)
    return min(float(repeats) * p["time"] * 60.0 / bpm, 30.0)


EFFECT_SPECS: dict[str, EffectSpec] = {spec.name: spec for spec in (
    EffectSpec("reverb", "Convolution reverb with a generated room impulse response.",
               function=reverb, order=10, main=("mix", 1),
               words=("wetter", "wettest", "church", "cathedral", "in a church", "in a cathedral",
                      "in a hall", "big hall", "concert hall", "cave", "stadium", "arena",
                      "shimmer", "shimmery", "wash out", "washed out", "washy", "wash", "reverb",
                      "verb", "reverberation", "room", "hall", "plate", "space", "ambience",
                      "ambiance", "spring reverb", "plate reverb", "hall reverb", "room reverb",
                      "wet"),
               params=(
        _p("size", "float", 0.5, 0.0, 1.0, "", "room size: spread of early reflections"),
        _p("decay", "float", 1.8, 0.1, 10.0, "s", "time to fall 60 dB (RT60)"),
        _p("damping", "float", 0.5, 0.0, 1.0, "", "how much faster the treble dies"),
        _p("predelay", "float", 10.0, 0.0, 250.0, "ms", "gap before the reverb starts"),
        _mix(0.25)), tail=lambda p, bpm: p["decay"] * 1.1 + p["predelay"] / 1000 + 0.05),
    EffectSpec("delay", "Tempo-synced echo with feedback, damping and ping-pong.",
               function=delay, order=9, main=("mix", 1),
               words=("delay", "delays", "echo", "echoes", "echos", "ping pong", "ping-pong",
                      "slapback", "tape echo", "ping pong delay"),
               params=(
        _p("time", "float", 0.75, 0.0625, 4.0, "beats", "time between echoes"),
        _p("feedback", "float", 0.35, 0.0, 0.95, "", "level of each echo relative to the last"),
        _mix(0.25),
        _p("ping_pong", "bool", False, None, None, "", "alternate echoes left and right"),
        _p("damping", "float", 0.3, 0.0, 1.0, "", "darkening of each repeat")), tail=_delay_tail),
    EffectSpec("chorus", "Modulated short delays that thicken and widen.",
               function=chorus, order=8, main=("mix", 1),
               words=("chorus", "chorused", "ensemble", "flanger", "phaser", "flange",
                      "modulation"),
               params=(
        _p("rate", "float", 0.8, 0.05, 5.0, "Hz", "sweep speed"),
        _p("depth", "float", 3.0, 0.0, 10.0, "ms", "sweep width"),
        _p("delay", "float", 12.0, 2.0, 30.0, "ms", "centre delay"),
        _p("voices", "int", 1, 1, 4, "", "copies per channel"),
        _mix(0.5)), tail=lambda p, bpm: (p["delay"] + p["depth"]) / 1000 + 0.01),
    EffectSpec("distortion", "Saturation and overdrive by soft clipping.",
               function=distortion, order=3, main=("drive", 1),
               words=("distortion", "distort", "distorted", "overdrive", "overdriven", "drive",
                      "fuzz", "saturation", "saturate", "saturated", "crunch", "clipping"),
               params=(
        _p("drive", "float", 12.0, 0.0, 48.0, "dB", "gain into the clipper"),
        _p("tone", "float", 0.7, 0.0, 1.0, "", "brightness after the clipper"),
        _p("asymmetry", "float", 0.0, 0.0, 1.0, "", "even harmonics (valve-like warmth)"),
        _mix(1.0))),
    EffectSpec("compressor", "Evens out dynamics: turns down what rises over the threshold.",
               function=compressor, order=2, main=("threshold", -1),
               words=("compressor", "compression", "compress", "compressed", "comp", "glue",
                      "squash", "squashed", "dynamics"),
               params=(
        _p("threshold", "float", -18.0, -60.0, 0.0, "dB", "level where compression starts"),
        _p("ratio", "float", 4.0, 1.0, 20.0, ":1", "input dB over threshold per output dB"),
        _p("attack", "float", 10.0, 0.1, 200.0, "ms", "how fast it clamps down"),
        _p("release", "float", 120.0, 5.0, 2000.0, "ms", "time to recover 10 dB"),
        _p("makeup", "float", 0.0, 0.0, 24.0, "dB", "gain after compression"),
        _p("knee", "float", 6.0, 0.0, 24.0, "dB", "width of the soft knee"),
        _p("lookahead", "float", 0.0, 0.0, 20.0, "ms", "react before a peak arrives (0: let transients punch through)")),
        tail=lambda p, bpm: 0.05 + 3 * p["release"] / 1000),
    EffectSpec("eq", "Three-band equaliser: low shelf, peaking mid, high shelf.",
               function=eq, order=1, main=("high_gain", 1),
               words=("eq", "equalizer", "equaliser", "equalization", "equalisation", "eq"),
               params=(
        _p("low_gain", "float", 0.0, -24.0, 24.0, "dB", "low shelf boost or cut"),
        _p("low_freq", "float", 120.0, 20.0, 1000.0, "Hz", "low shelf corner"),
        _p("mid_gain", "float", 0.0, -24.0, 24.0, "dB", "mid bell boost or cut"),
        _p("mid_freq", "float", 1000.0, 100.0, 10000.0, "Hz", "mid bell centre"),
        _p("mid_q", "float", 1.0, 0.1, 10.0, "", "mid bell sharpness"),
        _p("high_gain", "float", 0.0, -24.0, 24.0, "dB", "high shelf boost or cut"),
        _p("high_freq", "float", 8000.0, 200.0, 20000.0, "Hz", "high shelf corner (low for a tilt)"))),
    EffectSpec("lowpass", "Removes what is above the cutoff: darker, further away.",
               function=lowpass, order=5, main=("cutoff", -1),
               words=("filter sweep", "filter sweeps", "roll off the top end", "roll off the top",
                      "cut the top end", "tame the highs", "tame the top end", "less top end",
                      "lowpass", "low pass", "low-pass", "lpf", "lp filter", "filter", "filtered",
                      "muffle", "high cut", "cut the highs", "roll off the highs",
                      "low pass filter", "lowpass filter", "underwater"),
               params=
               _filter_params(2000.0), tail=_filter_tail),
    EffectSpec("highpass", "Removes what is below the cutoff: thinner, clears mud.",
               function=highpass, order=0, main=("cutoff", 1),
               words=("highpass", "high pass", "high-pass", "hpf", "hp filter", "low cut",
                      "cut the lows", "roll off the lows", "roll off the low end",
                      "high pass filter", "highpass filter", "cut the low end"),
               params=
               _filter_params(120.0), tail=_filter_tail),
    EffectSpec("bitcrusher", "Fewer bits and a lower sample rate: digital lo-fi grit.",
               function=bitcrusher, order=4, main=("bits", -1),
               words=("bitcrusher", "bit crusher", "bitcrush", "bit crush", "bitcrushed",
                      "crusher", "crush", "crushed", "8-bit", "8 bit", "bit reduction", "decimate",
                      "decimator"),
               params=(
        _p("bits", "float", 8.0, 1.0, 16.0, "bits", "resolution"),
        _p("downsample", "int", 4, 1, 64, "x", "sample-and-hold factor"),
        _mix(1.0)), tail=lambda p, bpm: 0.0),
    EffectSpec("tape", "Tape machine: wow, flutter, saturation, head loss and hiss.",
               function=tape, order=6, main=("saturation", 1),
               words=("tape", "tape saturation", "wow and flutter", "wobble", "warble", "cassette",
                      "tape machine", "tape warble"),
               params=(
        _p("wow", "float", 0.3, 0.0, 1.0, "", "slow pitch wander"),
        _p("flutter", "float", 0.2, 0.0, 1.0, "", "fast pitch wobble"),
        _p("saturation", "float", 0.3, 0.0, 1.0, "", "tape compression and warmth"),
        _p("hiss", "float", 0.05, 0.0, 1.0, "", "background hiss"),
        _p("wow_rate", "float", 0.5, 0.1, 3.0, "Hz", "speed of the wow"),
        _p("flutter_rate", "float", 7.0, 3.0, 20.0, "Hz", "speed of the flutter"),
        _p("seed", "int", 0, 0, 2**31 - 1, "", "seed of the hiss")), tail=lambda p, bpm: 0.01),
    EffectSpec("vinyl", "Record player: band-limited, surface noise and crackle.",
               function=vinyl, order=7, main=("crackle", 1),
               words=("vinyl", "crackle", "crackles", "vinyl crackle", "record noise",
                      "record crackle", "dust", "vinyl noise", "surface noise"),
               params=(
        _p("crackle", "float", 0.3, 0.0, 1.0, "", "clicks and pops"),
        _p("noise", "float", 0.2, 0.0, 1.0, "", "surface noise"),
        _p("low_cut", "float", 60.0, 20.0, 500.0, "Hz", "bass roll-off"),
        _p("high_cut", "float", 9000.0, 2000.0, 20000.0, "Hz", "treble roll-off"),
        _p("seed", "int", 0, 0, 2**31 - 1, "", "seed of noise and crackle"))),
    EffectSpec("limiter", "Brickwall limiter: nothing passes above the ceiling.",
               function=limiter, order=11, main=("gain", 1),
               words=("limiter", "limit", "limiting", "brickwall", "maximizer", "maximiser"),
               params=(
        _p("ceiling", "float", -1.0, -24.0, 0.0, "dBFS", "highest peak out"),
        _p("gain", "float", 0.0, 0.0, 24.0, "dB", "drive into the limiter"),
        _p("release", "float", 60.0, 1.0, 1000.0, "ms", "time to recover 10 dB"),
        _p("lookahead", "float", 3.0, 0.0, 20.0, "ms", "how early it reacts to a peak")),
        tail=lambda p, bpm: 0.05 + 3 * p["release"] / 1000),
)}

EFFECT_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {name: spec.function for name, spec in EFFECT_SPECS.items()}
#: Effects whose low-frequency oscillator is tuned to a whole number of cycles per loop.
_LFO_RATES = {"chorus": ("rate",), "tape": ("wow_rate", "flutter_rate")}


def effect_spec(name: str) -> EffectSpec:
    """The spec of effect ``name``; an unknown name lists the valid ones."""
    if name not in EFFECT_SPECS:
        raise InvalidValue("effect", name, "one of " + ", ".join(sorted(EFFECT_SPECS)))
    return EFFECT_SPECS[name]


#: Effects that are linear and time-invariant and can wrap a loop exactly in one transform.
_CIRCULAR = {"reverb"}
#: Effects whose noise and LFOs take ``start``: their position in the whole piece.
_POSITIONED = {"chorus", "tape", "vinyl"}
#: Samples processed at a time: long sessions stay within a few hundred megabytes. Audio
#: up to twice as long goes in one piece (a warm-up per chunk costs more than it saves).
CHUNK = 1 << 20
ALIGN = 64
AHEAD = 2048
CIRCULAR_MAX = 1 << 22


def run_chunked(fn: Callable[..., np.ndarray], audio: np.ndarray, *, tail: int, loop: bool,
                chunk: int | None = None, positioned: bool = False, consume: bool = False) -> np.ndarray:
    """Run a causal ``fn(segment, start=...)`` over ``audio`` a chunk at a time.

    Each chunk is processed with the ``tail`` input samples before it as warm-up, so it
    hears its own past: with ``loop`` that past wraps round from the end (the loop has
    played before), otherwise it is silence and the output grows by ``tail`` so tails ring
    out. A little of what follows each chunk rides along too, for look-ahead (limiter,
    block-rate gain curves). Any effect whose memory is shorter than ``tail`` comes out as
    if run in one piece. With ``consume`` (the caller gives ``audio`` up) a loop is
    processed in place.
    """
    x = as_audio(audio)
    c, n = x.shape
    if n == 0:
        return x
    chunk = chunk or (n if n <= 2 * CHUNK else CHUNK)
    tail = -(-tail // ALIGN) * ALIGN  # chunk edges on every block grid the dynamics use
    total = n if loop else n + tail
    if loop:
        past = np.take(x, np.arange(-tail, 0), axis=1, mode="wrap")
        head = np.take(x, np.arange(AHEAD), axis=1, mode="wrap")  # kept: in place, the start is overwritten
    else:
        past = np.zeros((c, tail), np.float32)
    out = None
    for s in range(0, total, chunk):
        e = min(s + chunk, total)
        if loop:
            future = x[:, e:e + AHEAD] if e + AHEAD <= n else np.concatenate(
                [x[:, e:], np.take(head, np.arange(AHEAD - (n - e)), axis=1, mode="wrap")], axis=1)
        else:
            future = np.zeros((c, AHEAD), np.float32)
            future[:, : max(0, min(n - e, AHEAD))] = x[:, e:e + AHEAD]
        body = x[:, s:min(e, n)]
        pad = np.zeros((c, max(0, e - max(s, n))), np.float32)
        seg = np.concatenate([past, body, pad, future], axis=1)
        with noise_not_kept() if chunk < total else nullcontext():
            y = fn(seg, start=s - tail) if positioned else fn(seg)
        if out is None:
            same = loop and consume and y.shape[0] == c and x.flags.writeable and x is audio
            out = x if same else np.empty((y.shape[0], total), np.float32)
        past = seg[:, seg.shape[1] - AHEAD - tail:seg.shape[1] - AHEAD]  # original input, kept before ``out`` overwrites it
        out[:, s:e] = y[:, tail:tail + e - s]
    return out


def apply_effect(audio: np.ndarray, sr: int, effect: Any, *, bpm: float, loop: bool,
                 consume: bool = False) -> np.ndarray:
    """Run one :class:`~orchestria_lab.state.Effect` (or ``{"type", "params"}``) over ``audio``.

    ``loop=True`` keeps the length and wraps the effect's tail round: the start hears the
    end as its past, as when a loop plays round. ``loop=False`` appends the tail (reverb and
    echoes ring out). Long audio is processed in chunks (see :func:`run_chunked`);
    ``consume=True`` lets a loop be processed in place, over ``audio``.
    """
    kind, params = (effect.type, effect.params) if hasattr(effect, "type") else (effect["type"], effect.get("params", {}))
    spec = effect_spec(kind)
    p = spec.validate(params)
    x = as_audio(audio)
    n = x.shape[1]
    kw = dict(p, bpm=bpm) if kind == "delay" else dict(p)
    fn = EFFECT_FUNCTIONS[kind]
    if loop and n:
        # A whole number of LFO cycles per loop, so the sweep is where it was when the loop restarts.
        for name in _LFO_RATES.get(kind, ()):
            kw[name] = max(1, round(kw[name] * n / sr)) * sr / n
        if kind in _CIRCULAR and n <= CIRCULAR_MAX:
            return fn(x, sr, circular=True, **kw)
    tail = int(np.ceil(spec.tail(p, bpm) * sr))
    return run_chunked(lambda seg, **pos: fn(seg, sr, **kw, **pos), x, tail=tail, loop=loop,
                       positioned=kind in _POSITIONED, consume=consume and x is audio)


def apply_chain(audio: np.ndarray, sr: int, effects: Any, *, bpm: float, loop: bool,
                consume: bool = False) -> np.ndarray:
    """Run a stem's effects in order; ring-out tails extend the audio when ``loop`` is false.

    Intermediate results belong to the chain and are processed in place where possible;
    ``consume=True`` says the caller gives up ``audio`` too.
    """
    for i, effect in enumerate(effects):
        audio = apply_effect(audio, sr, effect, bpm=bpm, loop=loop, consume=consume or i > 0)
    return audio
