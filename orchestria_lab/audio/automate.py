"""Automation rendered into a stem's own audio, sample by sample (music/automation.py has the lanes).

After the instrument plays, the stem goes through its effects; an effect-mix lane blends the
chain with that effect fully dry and fully wet, sample by sample. A filter lane blends a bank
of the audio filtered at cutoffs spaced evenly in log frequency (neighbours a third of an
octave apart or closer, so the sweep is smooth), a gain lane multiplies, and a pan lane places
the stem in stereo as it moves. Everything is in the stem's audio, so stem downloads carry it.

>>> from orchestria_lab.state import Meta, Note, State, Stem
>>> pad = Stem("pad", role="pad", instrument="pad", notes=[Note(60, 0.0, 8.0, 90)],
...            automation=[("gain_db", 0.0, -60.0), ("gain_db", 8.0, 0.0)])
>>> state = State(Meta(bpm=120, key="C", genre="pop", bars=2, sample_rate=8000), (pad,))
>>> from orchestria_lab.audio.render import render_dry_stem
>>> y = render_dry_stem(state, pad, cache=False)
>>> bool(np.abs(y[:, :4000]).mean() < np.abs(y[:, 28000:32000]).mean() / 10)   # faded in
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from orchestria_lab.audio.dsp import db_to_gain
from orchestria_lab.audio.effects import apply_chain, highpass, lowpass
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.automation import Point, envelope, lanes, ramp, spans
from orchestria_lab.state import Effect, State, Stem

#: How long a step in a gain lane takes (seconds): quick enough to hear as a step, slow enough not to click.
STEP_S = 0.005
#: Filter bank spacing: cutoffs at most this many octaves apart.
BANK_STEP_OCTAVES = 1 / 3


def automate(state: State, stem: Stem, played: np.ndarray, *, loop: bool) -> np.ndarray:
    """``played`` (the instrument's output) through the stem's effects and its automation."""
    m = state.meta
    sr = m.sample_rate
    by_param = lanes(stem.automation)
    mixes = [p for p in by_param if p.endswith(".mix")]
    if len(mixes) > 1:
        raise InvalidValue("automation", mixes, "one effect-mix lane per stem")
    if mixes:
        audio = _blend_mix(state, stem, played, mixes[0], by_param[mixes[0]], loop=loop)
    else:
        audio = apply_chain(played, sr, stem.effects, bpm=m.bpm, loop=loop, consume=True)
    return apply_lanes(state, stem, np.array(audio, dtype=np.float32, copy=True))


def lanes_need_the_chain(stem: Stem) -> bool:
    """Whether the stem's lanes reach inside its effect chain (an effect's mix); gain, pan and filter
    lanes apply to the chain's output, so the stem without them can be rendered and cached alone."""
    return any(p.param.endswith(".mix") for p in stem.automation)


def apply_lanes(state: State, stem: Stem, audio: np.ndarray) -> np.ndarray:
    """``audio`` (the stem through its chain) with its filter, gain and pan lanes applied, in that order."""
    sr = state.meta.sample_rate
    by_param = lanes(stem.automation)
    audio = np.asarray(audio, dtype=np.float32)
    n = audio.shape[1]
    for kind, fn in (("lowpass_hz", lowpass), ("highpass_hz", highpass)):
        if kind in by_param:
            audio = _sweep(audio, sr, envelope(by_param[kind], times=np.arange(n), beats=_samples(state, by_param[kind])),
                           fn)
    if "gain_db" in by_param:
        scale_by_lane(audio, by_param["gain_db"], at=_samples(state, by_param["gain_db"]), smooth=int(STEP_S * sr))
    if "pan" in by_param:
        lane = by_param["pan"]
        angle = (envelope(lane, times=np.arange(n), beats=_samples(state, lane)) + 1.0) * np.pi / 4.0
        left, right = np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)
        if audio.shape[0] == 1:
            audio = np.stack([audio[0] * left, audio[0] * right])
        else:
            audio = np.stack([audio[0] * np.minimum(1.0, left * 2**0.5), audio[1] * np.minimum(1.0, right * 2**0.5)])
    return audio


def scale_by_lane(audio: np.ndarray, lane: list[Point], *, at: np.ndarray, smooth: int = 0) -> np.ndarray:
    """``audio`` (channels, samples) scaled in place by a gain lane whose points sit at samples ``at``,
    span by span: a level held is one number, only ramps are arrays (a fade over the last bars of a
    long song touches those bars alone). A step (a section a little louder) moves over ``smooth``
    samples rather than at once, so a note held across it does not click."""
    n = audio.shape[1]
    previous = None
    for a, b, v0, v1, curve in spans(lane, at=at, n=n):
        if v0 == v1 or curve == "step":
            if previous is not None and previous != v0 and smooth:
                k = min(smooth, b - a)
                audio[:, a:a + k] *= db_to_gain(ramp(previous, v0, k, "linear")).astype(np.float32)
                a += k
            if v0 != 0.0:
                audio[:, a:b] *= np.float32(db_to_gain(v0))
            previous = v0
        else:
            full = int(round(at[min(np.searchsorted(at, a + 0.5), len(at) - 1)])) - a
            audio[:, a:b] *= db_to_gain(ramp(v0, v1, b - a, curve, total=max(full, b - a))).astype(np.float32)
            previous = float(ramp(v0, v1, b - a, curve, total=max(full, b - a))[-1]) if b > a else v1
    return audio


def _samples(state: State, lane: list[Point]) -> np.ndarray:
    """Where each point of ``lane`` falls, in samples (the tempo map decides)."""
    return state.meta.seconds([p.beat for p in lane]) * state.meta.sample_rate


def _blend_mix(state: State, stem: Stem, played: np.ndarray, param: str, lane: list[Point], *,
               loop: bool) -> np.ndarray:
    """The chain with ``param``'s effect dry and wet, blended by the lane."""
    m = state.meta
    kind = param.partition(".")[0]
    if not any(e.type == kind for e in stem.effects):
        raise InvalidValue("automation", param, f"a lane for an effect {stem.stem_id} has "
                           f"({', '.join(e.type for e in stem.effects) or 'none'})")
    runs = []
    for mix in (0.0, 1.0):
        chain = [Effect(e.type, e.params.updated(mix=mix)) if e.type == kind else e for e in stem.effects]
        runs.append(apply_chain(np.array(played, copy=True), m.sample_rate, chain, bpm=m.bpm, loop=loop))
    n = min(r.shape[1] for r in runs)
    channels = max(r.shape[0] for r in runs)
    dry, wet = (np.broadcast_to(r[:, :n], (channels, n)) for r in runs)
    e = envelope(lane, times=np.arange(n), beats=_samples(state, lane)).astype(np.float32)
    return dry * (1 - e) + wet * e


def _sweep(audio: np.ndarray, sr: int, cutoff: np.ndarray, fn: Any) -> np.ndarray:
    """``audio`` through a filter whose cutoff follows ``cutoff`` (Hz per sample): a bank of fixed
    filters, neighbours blended by where the cutoff lies between them in log frequency."""
    nyquist = sr / 2 * 0.95
    cutoff = np.clip(cutoff, 20.0, nyquist)
    low, high = float(cutoff.min()), float(cutoff.max())
    if high / low < 1.0001:
        return fn(audio, sr, cutoff=low).astype(np.float32)
    count = max(2, int(np.ceil(np.log2(high / low) / BANK_STEP_OCTAVES)) + 1)
    bank = np.geomspace(low, high, count)
    pos = np.interp(np.log(cutoff), np.log(bank), np.arange(count))
    k = np.minimum(pos.astype(int), count - 2)
    frac = (pos - k).astype(np.float32)
    out = np.zeros_like(audio, dtype=np.float32)
    for i, f in enumerate(bank):
        weight = np.where(k == i, 1 - frac, 0) + np.where(k + 1 == i, frac, 0)
        if weight.any():
            filtered = fn(audio, sr, cutoff=float(f))
            out += filtered[:, :audio.shape[1]] * weight.astype(np.float32)
    return out


__all__ = ["BANK_STEP_OCTAVES", "apply_lanes", "automate", "lanes_need_the_chain", "scale_by_lane"]
