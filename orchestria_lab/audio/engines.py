"""Render a stem's notes with its patch: every note in one vectorised torch pass.

Notes that are the same (pitch, length in samples, velocity) sound the same, so each is
rendered once and overlap-added wherever it occurs; drum hits are one waveform per voice
scaled by velocity. Distinct notes render as rows of a padded block, sorted by length so
the padding is small; three pitched engines share it:

* ``wavetable``: per-note band-limited tables (saw, square, triangle, sine, organ drawbars,
  sub octave) through a resonant lowpass applied to the harmonics themselves, with a
  filter envelope, unison voices with detune and stereo width, vibrato and breath noise;
* ``fm``: two-operator FM (electric piano, bells), its index falling with time and capped per
  note so no sideband passes Nyquist;
* ``pluck``: Karplus–Strong strings (guitar, pluck, bass guitar).

>>> import numpy as np
>>> from orchestria_lab.state import Note
>>> out = render_instrument("sub_bass", [Note(45, 0.0, 1.0, 100)], tone={}, drums=False,
...                         bpm=120, sr=8000, n_samples=8000, loop=True, seed=0)
>>> out.shape, out.dtype
((1, 8000), dtype('float32'))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from orchestria_lab.audio.drums import CHOKED_BY, voice_for, voice_waveform
from orchestria_lab.audio.instruments import patch
from orchestria_lab.audio.kernels import SINE_TABLE, kernel
from orchestria_lab.audio.synth import (
    FRAC_BITS,
    HARMONICS,
    PHASE_BITS,
    adsr,
    fixed_phase,
    harmonic_amplitudes,
    karplus_strong,
    lowpass_gain,
    midi_to_hz,
    noise,
    overlap_add,
    pack_tables,
    phase,
    phase_step,
    read_table,
    vibrato_cycles,
    wavetables,
    wrap32,
)

#: Most samples one batch of notes may lay out (bounds memory on long sessions).
BATCH_SAMPLES = 1 << 20
ENV_HOP = 16
#: Seconds before a wavetable patch's vibrato starts to fade in.
VIBRATO_DELAY_S = 0.25
_NOISE_LEN = 1 << 16
_DRAWBAR_HARMONICS = (1, 2, 3, 4, 6, 8, 10, 12, 16)  # 16', 8', 5 1/3', 4' ... on a table an octave down


def _decay(p: Mapping[str, float], pitch: torch.Tensor) -> torch.Tensor:
    """Each note's decay time: high notes die faster by ``key_decay``."""
    return p["decay"] * 2.0 ** (-(pitch.float() - 60.0) / 12.0 * p["key_decay"])


def _note_samples(p: Mapping[str, float], gate: torch.Tensor, decay: torch.Tensor, engine: str,
                  sr: int) -> torch.Tensor:
    """Samples each note sounds, to its 60 dB point (key-down or decay, whichever comes first),
    rounded up to whole envelope hops so the envelope's last point lands on the note's end."""
    if engine == "pluck" or p["sustain"] < 1e-3:
        end = torch.minimum(gate, p["attack"] + decay) + p["release"]
    else:
        end = gate + p["release"]
    return (torch.ceil(end * sr / ENV_HOP).to(torch.int64) * ENV_HOP).clamp(min=ENV_HOP)


def _spectra(p: Mapping[str, float], partials: Sequence[float], half: bool) -> torch.Tensor:
    """Harmonic amplitudes ``(HARMONICS,)`` of the patch's table before band-limiting and filtering."""
    h = torch.arange(1, HARMONICS + 1)
    main = h // 2 if half else h
    valid = (h % 2 == 0) if half else torch.ones_like(h, dtype=torch.bool)
    amps = torch.zeros(HARMONICS)
    for shape in ("saw", "square", "triangle", "sine"):
        if p[shape] > 0:
            amps = amps + p[shape] * harmonic_amplitudes(shape, main.clamp(min=1)) * valid
    if half:
        amps = amps + p["sub"] * (h == 1)
        for level, harmonic in zip(partials, _DRAWBAR_HARMONICS, strict=False):
            amps = amps + level * 0.5 * (h == harmonic)
    return amps


def _wavetable(p: Mapping[str, Any], partials: Sequence[float], pitch: torch.Tensor, vel: torch.Tensor,
               n: torch.Tensor, t: torch.Tensor, amp_env: torch.Tensor, lengths: torch.Tensor, sr: int,
               seed: int) -> torch.Tensor:
    f0 = midi_to_hz(pitch)
    half = p["sub"] > 0 or bool(partials)
    table_hz = f0 / 2 if half else f0
    voices = int(p["voices"])
    margin = 2.0 ** ((p["detune"] + p["vibrato"]) / 1200.0)
    freqs = table_hz[:, None].float() * torch.arange(1, HARMONICS + 1)[None, :]
    amps = _spectra(p, partials, half)[None, :] * (freqs * margin < 0.45 * sr)
    bright = 2.0 ** (p["velocity"] * 1.5 * (vel - 0.75))
    cutoff = (p["cutoff"] * (f0.float() / 261.63) ** p["keytrack"] * bright).clamp(20.0, 0.45 * sr)
    rows = [amps * lowpass_gain(freqs, cutoff[:, None], p["resonance"])]
    if p["env_amount"] > 0:
        rows.append(amps * lowpass_gain(freqs, (cutoff * 2.0 ** p["env_amount"])[:, None], p["resonance"]))
    tables = [wavetables(r) for r in rows]
    fenv = None
    if p["env_amount"] > 0:  # depends on time alone: one row shared by every note
        fenv = torch.clamp(t / max(p["attack"], 1e-3), max=1.0) * torch.exp(-6.9 / p["filter_decay"] * t)
    channels = 2 if voices > 1 and p["width"] > 0 else 1
    spreads = [(v - (voices - 1) / 2) / max((voices - 1) / 2, 1) for v in range(voices)]
    steps = [phase_step(table_hz * 2.0 ** (p["detune"] * spread / 1200.0), sr) for spread in spreads]
    offsets = [int((0.618 * v) % 1.0 * 2**PHASE_BITS) for v in range(voices)]
    gains = np.ones((voices, channels)) / math.sqrt(voices)
    if channels == 2:
        angles = [(1 + p["width"] * spread) * math.pi / 4 for spread in spreads]
        gains *= math.sqrt(2) * np.array([[math.cos(a), math.sin(a)] for a in angles])
    if torch.is_grad_enabled():  # fitting a patch: torch all the way, so gradients reach the tables
        out = _read_voices(p, pack_tables(*tables), table_hz, steps, offsets, gains, n, t, drawn(amp_env), fenv)
    else:
        vibrato = np.zeros(0)
        if p["vibrato"] > 0:
            vibrato = np.array([p["vibrato_rate"], 2.0 ** (p["vibrato"] / 1200.0) - 1.0, VIBRATO_DELAY_S, sr,
                                *table_hz.tolist()])
        out = torch.from_numpy(kernel("wavetable_voices")(
            torch.stack(tables).numpy(), (torch.stack(steps).to(torch.int64) & (2**PHASE_BITS - 1)).numpy(),
            np.array(offsets, np.int64), gains, amp_env.numpy(), ENV_HOP, lengths.numpy(),
            np.ones(1, np.float32) if fenv is None else fenv[0].numpy(), vibrato, FRAC_BITS))
    if p["noise"] > 0:  # only while it is above -60 dB
        k = min(n.shape[1], math.ceil(p["noise_decay"] * sr))
        table = noise(_NOISE_LEN, seed=seed)
        at = (n[:, :k] + 7919 * torch.arange(len(pitch), dtype=torch.int32)[:, None]) % _NOISE_LEN
        tk = t[:, :k]
        breath = table[at] * (p["noise"] * torch.exp(-6.9 / p["noise_decay"] * tk) * torch.clamp(tk / 0.001, max=1.0))
        out[..., :k] += breath * vel[:, None]
    return out


def _read_voices(p: Mapping[str, Any], tables: torch.Tensor, table_hz: torch.Tensor, steps: list[torch.Tensor],
                 offsets: list[int], gains: np.ndarray, n: torch.Tensor, t: torch.Tensor, amp_env: torch.Tensor,
                 fenv: torch.Tensor | None) -> torch.Tensor:
    """The unison voices in torch operations, differentiable: what the ``wavetable_voices``
    kernel computes (the renderer's path), for fitting a patch to a target sound."""
    note_row = torch.arange(len(table_hz), dtype=torch.int32)[:, None]
    wobble = None
    if p["vibrato"] > 0:
        wobble = wrap32((vibrato_cycles(t, table_hz[:, None], rate=p["vibrato_rate"], cents=p["vibrato"],
                                        delay=VIBRATO_DELAY_S) * 2.0**PHASE_BITS).to(torch.int64))
    out = torch.zeros(gains.shape[1], *amp_env.shape)
    for step, offset, gain in zip(steps, offsets, gains, strict=True):
        cyc = fixed_phase(n, step[:, None], offset)
        if wobble is not None:
            cyc += wobble
        sound = read_table(tables, note_row, cyc, fenv)
        for c in range(gains.shape[1]):
            out[c].add_(sound, alpha=float(gain[c]))
    return out * amp_env


def _fm(p: Mapping[str, Any], pitch: torch.Tensor, vel: torch.Tensor, n: torch.Tensor, t: torch.Tensor,
        amp_env: torch.Tensor, lengths: torch.Tensor, sr: int) -> torch.Tensor:
    """Two-operator FM: the ``fm_voices`` kernel when rendering, torch operations (the same
    sound, differentiable) when gradients are wanted."""
    f0 = midi_to_hz(pitch)[:, None]
    ratio = p["fm_ratio"]
    # Carson's rule: the sidebands reach f0 (1 + ratio (index + 1)); keep that under Nyquist.
    room = ((0.45 * sr / f0.float() - 1.0) / ratio - 1.0).clamp(min=0.0)
    index = torch.minimum(p["fm_index"] * (0.35 + 0.65 * vel[:, None] ** (2 * p["velocity"])), room)
    if not torch.is_grad_enabled():  # the renderer: one compiled pass
        vibrato = np.array([p["vibrato_rate"], 2.0 ** (p["vibrato"] / 1200.0) - 1.0]) if p["vibrato"] > 0 else np.zeros(0)
        return torch.from_numpy(kernel("fm_voices")(
            f0[:, 0].numpy(), float(ratio), index[:, 0].double().numpy(), 6.9 / p["fm_decay"], vibrato,
            amp_env.numpy(), ENV_HOP, lengths.numpy(), float(sr), SINE_TABLE))[None]
    carrier = phase(n, f0, sr)
    if p["vibrato"] > 0:
        carrier = carrier + vibrato_cycles(t, f0, rate=p["vibrato_rate"], cents=p["vibrato"])
    mod = torch.sin(2 * math.pi * phase(n, f0 * ratio, sr))
    depth = index * torch.exp(-6.9 / p["fm_decay"] * t)
    return (torch.sin(2 * math.pi * carrier + depth * mod) * drawn(amp_env))[None]


def _render_block(p: Mapping[str, Any], engine: str, partials: Sequence[float], pitch: torch.Tensor,
                  gate: torch.Tensor, vel: torch.Tensor, sr: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Distinct notes, one per row of a padded block: audio ``(channels, notes, samples)`` and lengths.

    Notes arrive sorted by length, so rows are nearly equal and padding wastes little, and
    everything that depends only on time is computed once, as one row, and broadcast.
    """
    decay = _decay(p, pitch)
    lengths = _note_samples(p, gate, decay, engine, sr)
    end = lengths.to(torch.float32) / sr
    n = torch.arange(int(lengths.max()), dtype=torch.int32)[None, :]
    t = n.to(torch.float32) * (1.0 / sr)
    sustain = 1.0 if engine == "pluck" else p["sustain"]
    # The envelope is smooth: work it out every ENV_HOP samples and draw straight lines between.
    coarse = torch.arange(n.shape[1] // ENV_HOP + 1, dtype=torch.float32)[None, :] * (ENV_HOP / sr)
    env = adsr(coarse, gate[:, None], attack=p["attack"], decay=decay[:, None], sustain=sustain,
               release=p["release"], end=end[:, None])
    env = env * (vel ** (1.5 * p["velocity"]) * 10.0 ** (p["level"] / 20.0))[:, None]
    if engine == "wavetable":
        return _wavetable(p, partials, pitch, vel, n, t, env, lengths, sr, seed), lengths
    if engine == "fm":
        return _fm(p, pitch, vel, n, t, env, lengths, sr), lengths
    strings = karplus_strong(midi_to_hz(pitch), n.shape[1], sr, decay=decay, brightness=p["brightness"],
                             pick=p["pick"], seed=seed)
    return (strings * drawn(env))[None], lengths


def drawn(env: torch.Tensor) -> torch.Tensor:
    """An envelope given every ``ENV_HOP`` samples ``(rows, points)`` as samples ``(rows, (points - 1)
    * ENV_HOP)``: straight lines between its points (the kernels draw it as they play, the same way).

    >>> line = drawn(torch.tensor([[0.0, 1.0, 0.0]]))
    >>> line.shape, line[0, :3].tolist(), line[0, ENV_HOP].item()
    (torch.Size([1, 32]), [0.0, 0.0625, 0.125], 1.0)
    """
    return torch.nn.functional.interpolate(env[:, None, :], size=(env.shape[1] - 1) * ENV_HOP + 1, mode="linear",
                                           align_corners=True)[:, 0, :-1]


def _drums(p: Mapping[str, Any], onset: np.ndarray, numbers: np.ndarray, vel: torch.Tensor, sr: int,
           seed: int, out: np.ndarray, *, wrap: bool) -> None:
    voices = [voice_for(int(k)) for k in numbers]
    names = sorted(set(voices))
    shape = {k: p[k] for k in ("tune", "punch", "snap", "decay_scale", "brightness")}
    waves = [voice_waveform(name, sr, seed=seed, **shape) for name in names]
    lengths = np.array([len(w) for w in waves])
    audio = torch.cat(waves)[None].numpy()
    uid = np.array([names.index(v) for v in voices])
    gain = (vel ** (2.0 * p["velocity"]) * 10.0 ** (p["level"] / 20.0)).numpy()
    cut = np.full(len(voices), 1 << 40, dtype=np.int64)
    for victim, chokers in CHOKED_BY.items():
        choke_at = np.sort(onset[[v in chokers for v in voices]])
        for i in np.flatnonzero([v == victim for v in voices]):
            later = choke_at[np.searchsorted(choke_at, onset[i], side="right"):]
            if len(later):
                cut[i] = int(later[0] - onset[i])
    overlap_add(out, audio, np.cumsum(lengths) - lengths, lengths, uid, onset, wrap=wrap, gain=gain, cut=cut)


def render_instrument(instrument: str, notes: Sequence[Any], *, tone: Mapping[str, Any], drums: bool,
                      bpm: float, sr: int, n_samples: int, loop: bool, seed: int) -> np.ndarray:
    """All ``notes`` (pitch, start and duration in beats, velocity) played on ``instrument``.

    Returns float32 ``(channels, samples)``: ``n_samples`` long when ``loop`` (tails past the
    end wrap to the start), else long enough for the last note to die away.
    """
    pt = patch(instrument)
    p = pt.resolve(tone)
    spb = 60.0 / bpm
    arr = np.array([tuple(n)[:4] for n in notes], dtype=np.float64).reshape(-1, 4)
    onset = np.round(arr[:, 1] * spb * sr).astype(np.int64)
    gate_n = np.maximum(np.round(arr[:, 2] * spb * sr).astype(np.int64), 1)
    vel = torch.from_numpy(arr[:, 3] / 127.0).float()
    with torch.no_grad():
        if drums or pt.engine == "drums":
            dp = patch("drum_kit").resolve(tone if pt.engine == "drums" else {})
            longest = max(3.0 * dp["decay_scale"] * 2.2, 0.1)
            total = n_samples if loop else max(n_samples, int(onset.max(initial=0) + longest * sr))
            out = np.zeros((1, total), np.float32)
            if len(arr):
                _drums(dp, onset, arr[:, 0].astype(int), vel, sr, seed, out, wrap=loop)
            return out
        keys, uid = np.unique(np.stack([arr[:, 0], gate_n, arr[:, 3]], axis=1), axis=0, return_inverse=True)
        uid = uid.reshape(-1)
        pitch = torch.from_numpy(keys[:, 0]).long()
        gate = torch.from_numpy(keys[:, 1] / sr).float()
        kvel = torch.from_numpy(keys[:, 2] / 127.0).float()
        ends = _note_samples(p, gate, _decay(p, pitch), pt.engine, sr).numpy()
        total = n_samples if loop else max(n_samples, int((onset + ends[uid]).max(initial=0)))
        channels = 2 if pt.engine == "wavetable" and p.get("voices", 1) > 1 and p.get("width", 0) > 0 else 1
        out = np.zeros((channels, total), np.float32)
        order = np.argsort(ends, kind="stable")
        batches, start, acc = [], 0, 0
        for j, i in enumerate(order):
            acc += int(ends[i]) * (3 if pt.engine == "pluck" else 1)
            if acc > BATCH_SAMPLES and j > start:
                batches.append(order[start:j])
                start, acc = j, int(ends[i])
        batches.append(order[start:])
        for batch in batches:
            if not len(batch):
                continue
            b = torch.from_numpy(batch)
            audio, lengths = _render_block(p, pt.engine, pt.partials, pitch[b], gate[b], kvel[b], sr,
                                           seed * 1_000_003 + int(batch[0]))
            local = np.full(len(keys), -1)
            local[batch] = np.arange(len(batch))
            mine = np.flatnonzero(np.isin(uid, batch))
            row = audio.shape[-1]
            overlap_add(out, audio.reshape(audio.shape[0], -1).numpy(), np.arange(len(batch)) * row,
                        lengths.numpy(), local[uid[mine]], onset[mine], wrap=loop)
        return out
