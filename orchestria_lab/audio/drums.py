"""Drum voices on General MIDI numbers, synthesised in torch.

Each voice (kick, snare, clap, hats, toms, rim, shaker, crash, ride, tambourine, cowbell)
is one waveform made from a few parts: a body (a sine whose pitch drops, like a struck
membrane), filtered noise (snare wires, shakers) and metal (six band-limited square waves
at inharmonic ratios, as in the classic analogue machines). A hit is that waveform scaled
by its velocity. The kit's tone parameters (``tune``, ``punch``, ``snap``,
``decay_scale``, ``brightness``) shape every voice.

>>> voice_for(36), voice_for(42), voice_for(46), voice_for(81)
('kick', 'closed_hat', 'open_hat', 'closed_hat')
>>> import torch
>>> kick = voice_waveform("kick", 22050, tune=0.0, punch=0.5, snap=0.5, decay_scale=1.0,
...                       brightness=0.5, seed=0)
>>> bool(kick.abs().max() <= 1.0), float(kick[-1]) == 0.0
(True, True)
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torchaudio.functional as taf

from orchestria_lab.audio.dsp import biquad
from orchestria_lab.audio.synth import (
    harmonic_amplitudes,
    noise,
    pack_tables,
    read_table,
    sweep_cycles,
    wavetables,
)

#: Voice of each General MIDI drum number this kit plays.
GM_VOICES: dict[int, str] = {
    35: "kick", 36: "kick", 37: "rim", 38: "snare", 39: "clap", 40: "snare", 41: "tom_floor",
    42: "closed_hat", 43: "tom_floor", 44: "pedal_hat", 45: "tom_low", 46: "open_hat", 47: "tom_mid",
    48: "tom_mid", 49: "crash", 50: "tom_high", 51: "ride", 52: "crash", 53: "ride", 54: "tambourine",
    55: "crash", 56: "cowbell", 57: "crash", 59: "ride", 69: "shaker", 70: "shaker", 75: "rim",
    76: "rim", 77: "rim", 82: "shaker",
}
#: Voices that a closed or pedal hat cuts short, as on a real hi-hat.
CHOKED_BY = {"open_hat": ("closed_hat", "pedal_hat")}

# body: (start Hz, end Hz, sweep s, decay s, level); noise: (filter, Hz, q, decay s, level);
# metal: (filter Hz, decay s, level). Decays are 60 dB times.
_VOICES: dict[str, dict[str, tuple[float, ...]]] = {
    "kick": {"body": (170.0, 48.0, 0.035, 0.55, 1.0), "noise": (1, 4000.0, 0.7, 0.012, 0.25)},
    "snare": {"body": (240.0, 185.0, 0.02, 0.2, 0.55), "noise": (1, 1800.0, 0.7, 0.28, 0.6)},
    "clap": {"noise": (2, 1300.0, 1.2, 0.3, 1.0)},
    "rim": {"body": (1700.0, 820.0, 0.004, 0.05, 0.7), "noise": (1, 3000.0, 0.7, 0.01, 0.3)},
    "closed_hat": {"metal": (7500.0, 0.09, 0.8), "noise": (1, 8000.0, 0.7, 0.06, 0.35)},
    "pedal_hat": {"metal": (7000.0, 0.12, 0.6), "noise": (1, 7000.0, 0.7, 0.05, 0.2)},
    "open_hat": {"metal": (7000.0, 0.6, 0.8), "noise": (1, 7500.0, 0.7, 0.45, 0.3)},
    "crash": {"metal": (4500.0, 2.0, 0.7), "noise": (1, 5000.0, 0.7, 1.6, 0.45)},
    "ride": {"metal": (5200.0, 1.8, 0.55), "noise": (2, 9000.0, 0.9, 1.0, 0.12),
             "body": (3150.0, 3150.0, 0.01, 0.9, 0.12)},
    "tambourine": {"metal": (8500.0, 0.25, 0.5), "noise": (1, 9000.0, 0.7, 0.22, 0.5)},
    "shaker": {"noise": (1, 6000.0, 0.7, 0.09, 0.8)},
    "cowbell": {"bell": (540.0, 0.35, 0.9)},
    "tom_floor": {"body": (130.0, 82.0, 0.06, 0.5, 1.0), "noise": (2, 900.0, 0.8, 0.05, 0.15)},
    "tom_low": {"body": (160.0, 105.0, 0.05, 0.45, 1.0), "noise": (2, 1000.0, 0.8, 0.05, 0.15)},
    "tom_mid": {"body": (200.0, 135.0, 0.05, 0.4, 1.0), "noise": (2, 1200.0, 0.8, 0.04, 0.15)},
    "tom_high": {"body": (250.0, 170.0, 0.045, 0.35, 1.0), "noise": (2, 1400.0, 0.8, 0.04, 0.15)},
}
VOICES: tuple[str, ...] = tuple(_VOICES)
_METAL_HZ = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)
_FILTERS = {0: "lowpass", 1: "highpass", 2: "bandpass"}


def voice_for(number: int) -> str:
    """The voice that plays General MIDI drum ``number`` (unlisted numbers: the nearest family)."""
    if number in GM_VOICES:
        return GM_VOICES[number]
    if number < 35:
        return "kick"
    return "closed_hat" if number > 59 else "rim"


def _filter(x: torch.Tensor, kind: int, freq: float, q: float, sr: int) -> torch.Tensor:
    sos = biquad(_FILTERS[kind], freq, sr, q=q)[0]
    b, a = torch.tensor(sos[:3], dtype=torch.float32), torch.tensor(sos[3:], dtype=torch.float32)
    return taf.lfilter(x, a, b, clamp=False)


def _decay(t: torch.Tensor, seconds: float) -> torch.Tensor:
    return torch.exp(-6.9 * t / max(seconds, 1e-3))


@lru_cache(maxsize=128)
def voice_waveform(voice: str, sr: int, *, tune: float, punch: float, snap: float, decay_scale: float,
                   brightness: float, seed: int) -> torch.Tensor:
    """One hit of ``voice`` at full velocity, a 1-D float32 tensor that ends on zero."""
    parts = _VOICES[voice]
    pitch = 2.0 ** (tune / 12.0)
    longest = max(spec[3] if name == "body" else spec[1] if name in ("metal", "bell") else spec[3]
                  for name, spec in parts.items())
    n = int(sr * (longest * decay_scale + 0.01))
    t = torch.arange(n, dtype=torch.float32) / sr
    out = torch.zeros(n)
    if "body" in parts:
        f0, f1, sweep, dec, level = parts["body"]
        if voice == "kick":
            f0 *= 1.0 + 0.6 * punch
        cyc = sweep_cycles(t, torch.tensor(f0 * pitch), torch.tensor(f1 * pitch), torch.tensor(sweep))
        out += level * torch.sin(2 * math.pi * cyc) * _decay(t, dec * decay_scale)
    if "noise" in parts:
        kind, freq, q, dec, level = parts["noise"]
        if voice in ("snare", "clap"):
            level *= 0.4 + 1.2 * snap
        if voice == "kick":
            level *= 2.0 * punch
        src = _filter(noise(n, seed=seed * 131 + VOICES.index(voice)), kind,
                      freq * 2.0 ** (brightness - 0.5), q, sr)
        env = _decay(t, dec * decay_scale)
        if voice == "clap":  # three hands a few milliseconds apart, then the room
            bursts = sum(((t >= d) & (t < d + 0.006)).float() * _decay((t - d).clamp(min=0), 0.02)
                         for d in (0.0, 0.011, 0.022))
            env = torch.maximum(bursts, 0.5 * env * (t >= 0.025).float())
        if voice == "shaker":
            env = env * torch.clamp(t / 0.015, max=1.0)
        out += level * src * env
    if "metal" in parts or "bell" in parts:
        top = max(_METAL_HZ) * pitch
        k = torch.arange(1, int(0.45 * sr / top) + 1)
        table = pack_tables(wavetables(harmonic_amplitudes("square", k)[None, :]))
        row = torch.zeros(1, dtype=torch.int32)
        if "metal" in parts:
            freq, dec, level = parts["metal"]
            metal = sum(read_table(table, row, t * (f * pitch)) for f in _METAL_HZ) / len(_METAL_HZ)
            metal = _filter(_filter(metal, 1, freq * 2.0 ** (brightness - 0.5), 0.7, sr), 1, freq, 0.7, sr)
            out += 2.5 * level * metal * _decay(t, dec * decay_scale)
        if "bell" in parts:
            freq, dec, level = parts["bell"]
            bell = read_table(table, row, t * (freq * pitch)) + read_table(table, row, t * (freq * 1.48 * pitch))
            out += level * 0.5 * _filter(bell, 2, 2 * freq * pitch, 1.0, sr) * _decay(t, dec * decay_scale)
    fade = torch.clamp((n - 1 - torch.arange(n)) / (0.004 * sr), 0.0, 1.0)
    attack = torch.clamp(torch.arange(n) / (0.0004 * sr), 0.0, 1.0)  # half a millisecond: no click
    return (torch.tanh(out) * fade * attack).to(torch.float32)
