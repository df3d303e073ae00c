"""SoundFont 2 instruments, read and played by our own code (numpy and a numba kernel), no FluidSynth.

A stem whose instrument is ``sf2:<preset name>`` or ``sf2:<GM program>`` (``sf2:0`` is the first
piano; a drum stem plays bank 128) is voiced by the session's SoundFont (``Meta.soundfont``, or
``ORCHESTRIA_SOUNDFONT``). What a SoundFont says is honoured: each preset's zones and each
instrument's zones, with their key and velocity ranges (velocity layers), global zones, sample
start, end and loop offsets, loop modes, root key, coarse and fine tuning and scale tuning, the
volume envelope (delay, attack, hold, decay, sustain, release), initial attenuation, pan, and the
default velocity-to-attenuation curve of the SF2 spec. Modulators beyond that and the filter
are not played. Sample data are read from the file as needed (a memory map), so a 150 MB bank
costs little to open.

The file's structure is the RIFF layout of the SF2.04 specification: ``sdta/smpl`` (16-bit
samples) and the ``pdta`` "hydra" (``phdr pbag pmod pgen inst ibag imod igen shdr``).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from orchestria_lab.errors import InvalidValue, NotFound

#: The instrument name prefix that asks for a SoundFont voice.
PREFIX = "sf2:"
#: Generator numbers (SF2.04, 8.1.2) this player honours.
GEN = {"start": 0, "end": 1, "startloop": 2, "endloop": 3, "start_coarse": 4, "pan": 17,
       "delay": 33, "attack": 34, "hold": 35, "decay": 36, "sustain": 37, "release": 38, "instrument": 41,
       "key_range": 43, "vel_range": 44, "loop_coarse_start": 45, "keynum": 46, "velocity": 47,
       "attenuation": 48, "loop_coarse_end": 50, "coarse_tune": 51, "fine_tune": 52, "sample": 53,
       "sample_modes": 54, "scale_tuning": 56, "root_key": 58, "end_coarse": 12}
_RANGES = (GEN["key_range"], GEN["vel_range"])
#: Defaults of the generators (SF2.04 8.1.3): timecents -12000 is "instant".
_DEFAULT = {GEN["delay"]: -12000, GEN["attack"]: -12000, GEN["hold"]: -12000, GEN["decay"]: -12000,
            GEN["release"]: -12000, GEN["sustain"]: 0, GEN["attenuation"]: 0, GEN["pan"]: 0,
            GEN["coarse_tune"]: 0, GEN["fine_tune"]: 0, GEN["scale_tuning"]: 100, GEN["root_key"]: -1,
            GEN["sample_modes"]: 0, GEN["keynum"]: -1, GEN["velocity"]: -1}
#: Generators that are offsets in samples (summed, never scaled by the preset level).
_ADDRESS = {GEN[k] for k in ("start", "end", "startloop", "endloop", "start_coarse", "end_coarse",
                             "loop_coarse_start", "loop_coarse_end")}


@dataclass(frozen=True)
class Sample:
    name: str
    start: int
    end: int
    loop_start: int
    loop_end: int
    rate: int
    pitch: int
    correction: int


@dataclass(frozen=True)
class Zone:
    """One zone's generators (number -> amount) and, for ranges, ``(low, high)``."""

    gens: dict[int, int]
    key: tuple[int, int] = (0, 127)
    vel: tuple[int, int] = (0, 127)

    def covers(self, key: int, vel: int) -> bool:
        return self.key[0] <= key <= self.key[1] and self.vel[0] <= vel <= self.vel[1]


@dataclass(frozen=True)
class Preset:
    name: str
    program: int
    bank: int
    zones: tuple[tuple[Zone, int], ...]  # (zone, instrument index)
    global_zone: Zone


@dataclass(frozen=True)
class Voice:
    """What one sample plays for one note: every generator resolved."""

    sample: Sample
    gens: dict[int, int]


class SoundFont:
    """A parsed SF2 file: its presets, instruments and samples; the sample data memory-mapped."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise NotFound("soundfont", str(path))
        try:
            self._parse()
        except (struct.error, ValueError, KeyError, IndexError) as exc:
            raise InvalidValue("soundfont", str(path), f"a SoundFont 2 (.sf2) file; this one cannot be read: {exc}") from None

    # reading -------------------------------------------------------------------------------
    def _parse(self) -> None:
        with open(self.path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
                raise ValueError("no RIFF sfbk header")
            size = struct.unpack("<I", head[4:8])[0]
            chunks: dict[str, tuple[int, int]] = {}
            at = 12
            end = min(8 + size, self.path.stat().st_size)
            while at + 8 <= end:
                f.seek(at)
                cid, length = struct.unpack("<4sI", f.read(8))
                if cid == b"LIST":  # INFO, sdta, pdta: their sub-chunks, after the 4-byte list type
                    inner, stop = at + 12, at + 8 + length
                    while inner + 8 <= stop:
                        f.seek(inner)
                        sid, slen = struct.unpack("<4sI", f.read(8))
                        chunks[sid.decode("latin-1")] = (inner + 8, slen)
                        inner += 8 + slen + (slen & 1)
                at += 8 + length + (length & 1)
            hydra = {name: self._read(f, *chunks[name]) for name in
                     ("phdr", "pbag", "pgen", "inst", "ibag", "igen", "shdr")}
        smpl_at, smpl_len = chunks["smpl"]
        self._data = np.memmap(self.path, dtype="<i2", mode="r", offset=smpl_at, shape=(smpl_len // 2,))
        self.samples = [Sample(r[0].split(b"\0")[0].decode("latin-1"), *r[1:8])
                        for r in struct.iter_unpack("<20sIIIIIBbHH", hydra["shdr"])][:-1]  # the last is EOS
        igen = list(struct.iter_unpack("<HH", hydra["igen"]))
        ibag = [b[0] for b in struct.iter_unpack("<HH", hydra["ibag"])]
        inst = [(r[0].split(b"\0")[0].decode("latin-1"), r[1]) for r in struct.iter_unpack("<20sH", hydra["inst"])]
        self.instruments: list[tuple[str, Zone, tuple[Zone, ...]]] = []
        for i in range(len(inst) - 1):
            zones = [_zone(igen[ibag[b]:ibag[b + 1]]) for b in range(inst[i][1], inst[i + 1][1])]
            global_zone = Zone({})
            if zones and GEN["sample"] not in zones[0].gens:
                global_zone, zones = zones[0], zones[1:]
            self.instruments.append((inst[i][0], global_zone, tuple(z for z in zones if GEN["sample"] in z.gens)))
        pgen = list(struct.iter_unpack("<HH", hydra["pgen"]))
        pbag = [b[0] for b in struct.iter_unpack("<HH", hydra["pbag"])]
        phdr = list(struct.iter_unpack("<20sHHHIII", hydra["phdr"]))
        self.presets: list[Preset] = []
        for i in range(len(phdr) - 1):
            name = phdr[i][0].split(b"\0")[0].decode("latin-1").strip()
            zones = [_zone(pgen[pbag[b]:pbag[b + 1]]) for b in range(phdr[i][3], phdr[i + 1][3])]
            global_zone = Zone({})
            if zones and GEN["instrument"] not in zones[0].gens:
                global_zone, zones = zones[0], zones[1:]
            self.presets.append(Preset(name, phdr[i][1], phdr[i][2],
                                       tuple((z, z.gens[GEN["instrument"]]) for z in zones if GEN["instrument"] in z.gens),
                                       global_zone))

    @staticmethod
    def _read(f: Any, at: int, length: int) -> bytes:
        f.seek(at)
        return f.read(length)

    # finding ------------------------------------------------------------------------------
    def preset(self, name: str, *, drums: bool = False) -> Preset:
        """The preset named ``name`` (case-insensitive), or General MIDI program ``name`` (a number)
        in bank 0 (bank 128, the kits, for drums); an unknown one lists some that exist."""
        bank = 128 if drums else 0
        wanted = name.strip().lower()
        if wanted.isdigit():
            found = [p for p in self.presets if p.program == int(wanted) and p.bank == bank]
        else:
            found = [p for p in self.presets if p.name.lower() == wanted]
        if not found and drums and not wanted.isdigit():
            found = [p for p in self.presets if p.bank == 128]
        if not found:
            names = ", ".join(sorted({p.name for p in self.presets if p.bank == bank})[:12])
            raise InvalidValue("instrument", PREFIX + name, f"a preset of {self.path.name} by name or GM program "
                               f"number, such as {names} ...")
        return found[0]

    def voices(self, preset: Preset, key: int, vel: int) -> list[Voice]:
        """Every sample ``preset`` plays for ``key`` at velocity ``vel``, its generators resolved
        (instrument values, global ones under local ones, plus the preset's as offsets)."""
        out = []
        for pzone, index in preset.zones:
            if not pzone.covers(key, vel):
                continue
            _, iglobal, izones = self.instruments[index]
            poffsets = {**preset.global_zone.gens, **pzone.gens}
            for izone in izones:
                if not izone.covers(key, vel):
                    continue
                gens = {**_DEFAULT, **iglobal.gens, **izone.gens}
                for g, amount in poffsets.items():
                    if g not in _RANGES and g != GEN["instrument"] and g not in _ADDRESS:
                        gens[g] = gens.get(g, 0) + amount
                out.append(Voice(self.samples[gens[GEN["sample"]]], gens))
        return out

    def data(self) -> np.ndarray:
        return self._data

    @property
    def identity(self) -> str:
        """What names this file's sound: its path, size and time of change (for render caches)."""
        info = self.path.stat()
        return f"{self.path.resolve()}:{info.st_size}:{int(info.st_mtime)}"


def _zone(gens: list[tuple[int, int]]) -> Zone:
    values: dict[int, int] = {}
    key, vel = (0, 127), (0, 127)
    for oper, amount in gens:
        if oper == GEN["key_range"]:
            key = (amount & 0xFF, amount >> 8)
        elif oper == GEN["vel_range"]:
            vel = (amount & 0xFF, amount >> 8)
        else:
            values[oper] = amount - 0x10000 if amount >= 0x8000 and oper not in (GEN["sample"], GEN["instrument"]) else amount
    return Zone(values, key, vel)


@lru_cache(maxsize=4)
def _open(path: str, identity: str) -> SoundFont:
    return SoundFont(path)


def load(path: str | os.PathLike[str] | None = None) -> SoundFont:
    """The SoundFont at ``path`` (default ``ORCHESTRIA_SOUNDFONT``), parsed once per process."""
    path = path or os.environ.get("ORCHESTRIA_SOUNDFONT")
    if not path:
        raise InvalidValue("soundfont", "(none)", "a path to an .sf2 file: Session.create(..., soundfont=...) or "
                           "ORCHESTRIA_SOUNDFONT (Debian's fluid-soundfont-gm installs "
                           "/usr/share/sounds/sf2/FluidR3_GM.sf2)")
    p = Path(path)
    if not p.is_file():
        raise NotFound("soundfont", str(path))
    info = p.stat()
    return _open(str(p.resolve()), f"{info.st_size}:{info.st_mtime_ns}")


def _seconds(timecents: int) -> float:
    return 0.0 if timecents <= -12000 else float(2.0 ** (timecents / 1200.0))


def render_notes(font: SoundFont, name: str, notes: Any, *, drums: bool, bpm: float, sr: int, n_samples: int,
                 loop: bool) -> np.ndarray:
    """``notes`` (pitch, start and duration in beats, velocity) played by preset ``name`` of ``font``:
    float32 stereo ``(2, samples)``, ``n_samples`` long when ``loop`` (tails wrap to the start)."""
    from orchestria_lab.audio.kernels import kernel

    preset = font.preset(name, drums=drums)
    spb = 60.0 / bpm
    arr = np.array([tuple(n)[:4] for n in notes], dtype=np.float64).reshape(-1, 4)
    data = font.data()
    plans = []
    for pitch, start, duration, velocity in arr:
        key, vel = int(pitch), int(np.clip(velocity, 1, 127))
        onset, gate = int(round(start * spb * sr)), max(1, int(round(duration * spb * sr)))
        for voice in font.voices(preset, key, vel):
            plans.append((onset, gate, key, vel, voice))
    length = n_samples if loop else max([n_samples, *(o + g + int(_seconds(v.gens[GEN["release"]]) * sr) + 1
                                                     for o, g, _, _, v in plans)])
    out = np.zeros((2, length), np.float32)
    play = kernel("sample_voice")
    for onset, gate, key, vel, voice in plans:
        s, g = voice.sample, voice.gens
        start = s.start + g.get(GEN["start"], 0) + 32768 * g.get(GEN["start_coarse"], 0)
        end = s.end + g.get(GEN["end"], 0) + 32768 * g.get(GEN["end_coarse"], 0)
        loop_start = s.loop_start + g.get(GEN["startloop"], 0) + 32768 * g.get(GEN["loop_coarse_start"], 0)
        loop_end = s.loop_end + g.get(GEN["endloop"], 0) + 32768 * g.get(GEN["loop_coarse_end"], 0)
        end = min(end, len(data) - 1)
        if end - start < 2:
            continue
        played = g[GEN["keynum"]] if g[GEN["keynum"]] >= 0 else key
        root = g[GEN["root_key"]] if g[GEN["root_key"]] >= 0 else s.pitch
        cents = (played - root) * g[GEN["scale_tuning"]] + 100 * g[GEN["coarse_tune"]] + g[GEN["fine_tune"]] + s.correction
        ratio = 2.0 ** (cents / 1200.0) * s.rate / sr
        strike = g[GEN["velocity"]] if g[GEN["velocity"]] >= 0 else vel
        # the SF2 default modulator: velocity to attenuation, concave, 96 dB over the range
        atten_db = 0.1 * max(0, g[GEN["attenuation"]]) + 40.0 * np.log10(127.0 / max(strike, 1))
        level = 10.0 ** (-atten_db / 20.0)
        angle = (np.clip(g[GEN["pan"]], -500, 500) / 500.0 + 1.0) * np.pi / 4.0
        env = np.array([_seconds(g[GEN["delay"]]) * sr, _seconds(g[GEN["attack"]]) * sr, _seconds(g[GEN["hold"]]) * sr,
                        _seconds(g[GEN["decay"]]) * sr, 10.0 ** (-0.1 * np.clip(g[GEN["sustain"]], 0, 1440) / 20.0),
                        max(_seconds(g[GEN["release"]]) * sr, 0.005 * sr)])
        looping = g[GEN["sample_modes"]] & 1 and loop_end - loop_start > 1 and start <= loop_start < loop_end <= end
        play(data, out, onset, gate, float(start), float(end), float(loop_start), float(loop_end), bool(looping),
             ratio, env, level * np.cos(angle), level * np.sin(angle), bool(loop))
    return out
