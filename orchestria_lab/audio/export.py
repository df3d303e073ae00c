"""Export a version as WAV, FLAC, MP3 or MIDI (the mix, or one file per stem), with a manifest.

The format comes from the file's suffix or from ``format``. PCM is quantised here, by
rounding without dither, so the same version always writes the same bytes. Every export
writes a JSON manifest beside it (session id, version, the commands, agents and seeds that
made it, package and engine versions, checkpoint hashes and the full state), written by
:mod:`orchestria_lab.session.export`, from which it writes the same files again, bit for bit.

>>> import tempfile, soundfile as sf
>>> from orchestria_lab.state import Meta, Note, State, Stem
>>> state = State(Meta(bpm=120, key="C", genre="pop", bars=1, sample_rate=8000),
...               (Stem("bass", role="bass", instrument="sub_bass", notes=[Note(36, 0, 2, 100)]),))
>>> out = export_state(state, tempfile.mkdtemp() + "/loop.flac")
>>> sf.info(str(out[0])).frames, sf.info(str(out[0])).subtype
(16000, 'PCM_24')
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.signal as sig
import soundfile as sf

from orchestria_lab.audio.dsp import db_to_gain
from orchestria_lab.audio.dynamics import integrated_loudness
from orchestria_lab.audio.mp3 import encode_mp3
from orchestria_lab.audio.render import (
    CEILING_DB,
    TARGET_LUFS,
    audible_stems,
    render_mix,
    render_stem,
)
from orchestria_lab.errors import InvalidValue, NotFound
from orchestria_lab.state import State

FORMATS = {"wav": ".wav", "flac": ".flac", "mp3": ".mp3", "midi": ".mid"}
_ALIASES = {"wave": "wav", "mid": "midi", "smf": "midi", "fla": "flac"}
BIT_DEPTHS = (16, 24, "float")
MP3_BITRATES = (96, 128, 160, 192, 224, 256, 320)
MANIFEST_SUFFIX = ".manifest.json"


def resolve_format(path: str | os.PathLike[str], format: str | None = None) -> str:
    """``format`` if given, else the one the suffix names; unknown ones list the valid formats."""
    name = (format or Path(path).suffix.lstrip(".")).lower()
    name = _ALIASES.get(name, name)
    if name not in FORMATS:
        raise InvalidValue("format", format or Path(path).suffix or "(none)",
                           "one of wav, flac, mp3, midi (from the file suffix or format=)")
    return name


def quantise(audio: np.ndarray, bits: int) -> np.ndarray:
    """Float audio to ``bits``-bit integers by rounding (no dither), clipped to the integer range.

    >>> quantise(np.array([[0.5, -1.0, 1.0]], np.float32), 16).tolist()
    [[16384, -32768, 32767]]
    """
    scale = float(2 ** (bits - 1))
    return np.clip(np.round(audio.astype(np.float64) * scale), -scale, scale - 1).astype(np.int32)


def _audio_bytes(audio: np.ndarray, sr: int, fmt: str, *, bit_depth: int | str, bitrate: int) -> bytes:
    buf = io.BytesIO()
    if fmt == "mp3":
        if sr > 48000:  # MP3 stops at 48 kHz: halve 88.2 and 96 kHz
            audio, sr = sig.resample_poly(audio, 1, 2, axis=1).astype(np.float32), sr // 2
        return encode_mp3(audio, sr, bitrate=bitrate)
    if bit_depth == "float":
        sf.write(buf, audio.T, sr, format=fmt.upper(), subtype="FLOAT")
    else:
        data = quantise(audio, int(bit_depth))
        data = data.astype(np.int16) if bit_depth == 16 else data << 8  # int32 full scale for 24-bit
        sf.write(buf, data.T, sr, format=fmt.upper(), subtype=f"PCM_{bit_depth}")
    return buf.getvalue()


def _check_options(fmt: str, bit_depth: Any, bitrate: Any) -> None:
    if bit_depth not in BIT_DEPTHS or (fmt == "flac" and bit_depth == "float"):
        allowed = "16 or 24" if fmt == "flac" else "16, 24 or 'float'"
        raise InvalidValue("bit_depth", bit_depth, f"{allowed} for {fmt.upper()}")
    if bitrate not in MP3_BITRATES:
        raise InvalidValue("bitrate", bitrate, "one of " + ", ".join(map(str, MP3_BITRATES)) + " (kbps)")


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "stem"


def stems_target(path: Path, format: str | None) -> tuple[Path, str]:
    """Where stems go and in what format: ``stems.flac`` is the folder ``stems`` of FLAC files."""
    suffix = path.suffix.lower()
    if suffix and suffix != ".zip":
        return path.with_suffix(""), resolve_format(path, format)
    return path, resolve_format("", format or "wav")


def _stem_ids(state: State, stems: bool | Sequence[str]) -> list[str]:
    if stems is True:
        return [s.stem_id for s in state.stems]
    ids = list(stems)  # type: ignore[arg-type]
    for stem_id in ids:
        if not state.has_stem(stem_id):
            raise NotFound("stem", stem_id, [s.stem_id for s in state.stems])
    return ids


def _stem_files(state: State, ids: list[str], fmt: str, *, loop: bool, bit_depth: Any,
                bitrate: int, cache: bool) -> list[tuple[str, bytes]]:
    """One file per stem. Audio stems share one gain: the master's loudness gain, lowered
    if needed so no stem clips; they sum to the mix before its limiter."""
    from orchestria_lab.music.midi import state_to_midi

    ext = FORMATS[fmt]
    if fmt == "midi":
        out = []
        for stem_id in ids:
            buf = io.BytesIO()
            state_to_midi(State(state.meta, (state.stem(stem_id),))).write(buf)
            out.append((_safe_name(state.stem(stem_id).name) + ext, buf.getvalue()))
        return out
    sr = state.meta.sample_rate
    audios = {i: render_stem(state, i, cache=cache, loop=loop) for i in ids}
    total = max((a.shape[1] for a in audios.values()), default=0)
    mix = np.zeros((2, total), np.float32)
    for s in audible_stems(state):
        a = audios.get(s.stem_id)
        a = render_stem(state, s.stem_id, cache=cache, loop=loop) if a is None else a
        mix[:, : a.shape[1]] += a[:, :total]
    loudness = integrated_loudness(mix, sr)
    gain = db_to_gain(TARGET_LUFS - loudness) if np.isfinite(loudness) else 1.0
    peak = max((float(np.abs(a).max(initial=0.0)) for a in audios.values()), default=0.0) * gain
    gain *= min(1.0, db_to_gain(CEILING_DB) / peak) if peak > 0 else 1.0
    names: set[str] = set()
    out = []
    for stem_id, audio in audios.items():
        name = _safe_name(state.stem(stem_id).name)
        while name in names:
            name += "_"
        names.add(name)
        data = _audio_bytes(audio * np.float32(gain), sr, fmt, bit_depth=bit_depth, bitrate=bitrate)
        out.append((name + ext, data))
    return out


def export_state(state: State, path: str | os.PathLike[str], *, stems: bool | Sequence[str] = False,
                 format: str | None = None, loop: bool = True, bit_depth: int | str = 24,
                 bitrate: int = 192, cache: bool = True) -> list[Path]:
    """Write ``state`` (no manifest) and return the paths written.

    The mix goes to ``path``. With ``stems`` (``True`` or a list of stem ids), ``path`` is
    a folder, or a ``.zip``, holding one file per stem in ``format`` (default WAV; a path
    like ``stems.flac`` means the folder ``stems`` of FLAC files).
    ``loop=False`` lets tails ring out past the loop's end; ``bit_depth`` is 16, 24 or
    ``"float"`` (WAV); ``bitrate`` in kbps for MP3.
    """
    path = Path(path)
    if stems is not False:
        path, fmt = stems_target(path, format)
    else:
        fmt = resolve_format(path, format)
        if not path.suffix:
            path = path.with_suffix(FORMATS[fmt])
    _check_options(fmt, bit_depth, bitrate)
    path.parent.mkdir(parents=True, exist_ok=True)
    if stems is False:
        if fmt == "midi":
            from orchestria_lab.music.midi import write_midi

            return [write_midi(state, path)]
        data = _audio_bytes(render_mix(state, cache=cache, loop=loop), state.meta.sample_rate, fmt,
                            bit_depth=bit_depth, bitrate=bitrate)
        path.write_bytes(data)
        return [path]
    files = _stem_files(state, _stem_ids(state, stems), fmt, loop=loop, bit_depth=bit_depth,
                        bitrate=bitrate, cache=cache)
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in files:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # same bytes every time
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
        return [path]
    path.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (path / name).write_bytes(data)
    return [path / name for name, _ in files]


