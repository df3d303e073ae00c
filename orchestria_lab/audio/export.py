"""Export a version as WAV, FLAC, MP3 or MIDI (the mix, or one file per stem), with a manifest.

The format comes from the file's suffix or from ``format``. PCM is quantised by rounding
without dither (:mod:`~orchestria_lab.audio.writer`), so the same version always writes the
same bytes. A long song is made and written a block at a time (:mod:`~orchestria_lab.audio.stream`),
so its memory is that of one stem. Every export
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

import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from orchestria_lab.audio.dsp import db_to_gain
from orchestria_lab.audio.dynamics import true_peak
from orchestria_lab.audio.render import CEILING_DB, loop_samples, render_mix
from orchestria_lab.audio.stream import (
    STREAM_BYTES,
    Spill,
    dc_of,
    held_bytes,
    master_plan,
    mixdown,
    write_mix,
)
from orchestria_lab.audio.writer import AudioWriter, quantise  # noqa: F401 - quantise is part of this API
from orchestria_lab.errors import InvalidValue, NotFound
from orchestria_lab.state import State

FORMATS = {"wav": ".wav", "flac": ".flac", "mp3": ".mp3", "midi": ".mid"}
_ALIASES = {"wave": "wav", "mid": "midi", "smf": "midi", "fla": "flac"}
BIT_DEPTHS = (16, 24, "float")
MP3_BITRATES = (96, 128, 160, 192, 224, 256, 320)
MANIFEST_SUFFIX = ".manifest.json"


#: The mix's loudness by name, in LUFS: for streaming services that turn loud masters down, the
#: default, and as loud as a club master.
LOUDNESS = {"streaming": -16.0, "default": -14.0, "club": -9.0}


def resolve_loudness(loudness: float | str | None) -> float:
    """A loudness target in LUFS from a name in :data:`LOUDNESS` or a number from -30 to -6.

    >>> resolve_loudness("club"), resolve_loudness(-12), resolve_loudness(None)
    (-9.0, -12.0, -14.0)
    """
    if loudness is None:
        return LOUDNESS["default"]
    if isinstance(loudness, str) and loudness.strip().lower() in LOUDNESS:
        return LOUDNESS[loudness.strip().lower()]
    if isinstance(loudness, int | float) and not isinstance(loudness, bool) and -30.0 <= loudness <= -6.0:
        return float(loudness)
    raise InvalidValue("loudness", loudness, "streaming (-16 LUFS), default (-14), club (-9), or a number of LUFS "
                       "from -30 to -6")


def resolve_format(path: str | os.PathLike[str], format: str | None = None) -> str:
    """``format`` if given, else the one the suffix names; unknown ones list the valid formats."""
    name = (format or Path(path).suffix.lstrip(".")).lower()
    name = _ALIASES.get(name, name)
    if name not in FORMATS:
        raise InvalidValue("format", format or Path(path).suffix or "(none)",
                           "one of wav, flac, mp3, midi (from the file suffix or format=)")
    return name


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


def _stem_names(state: State, ids: list[str], ext: str) -> list[str]:
    names: list[str] = []
    for stem_id in ids:
        name = _safe_name(state.stem(stem_id).name)
        while name + ext in names:
            name += "_"
        names.append(name + ext)
    return names


def _write_stems(state: State, ids: list[str], fmt: str, folder: Path, *, loop: bool, bit_depth: Any,
                 bitrate: int, cache: bool, target_lufs: float) -> list[Path]:
    """One file per stem in ``folder``, each through the master bus's gain for the mix (its loudness
    gain and its limiter, as a gain curve), so the stems sum to the mix; lowered together, should one
    stem alone pass the true-peak ceiling. Each stem is rendered once and kept (on disk, for a long
    song: :mod:`~orchestria_lab.audio.stream`) until its file is written, a block at a time."""
    from orchestria_lab.music.midi import state_to_midi

    names = _stem_names(state, ids, FORMATS[fmt])
    if fmt == "midi":
        for stem_id, name in zip(ids, names, strict=True):
            state_to_midi(State(state.meta, (state.stem(stem_id),))).write(str(folder / name))
        return [folder / name for name in names]
    sr = state.meta.sample_rate
    mix, kept = mixdown(state, ids, cache=cache, loop=loop, on_disk=held_bytes(state, len(ids)) > STREAM_BYTES)
    try:
        with mix:
            length = loop_samples(state) if loop else max([loop_samples(state), mix.frames,
                                                          *(s.frames for s in kept.values())])
            plan = master_plan(mix, length, sr, loop=loop, target_lufs=target_lufs)

        def mastered(spill: Spill) -> Iterator[np.ndarray]:
            share = dc_of(spill, length, spill.page)  # each stem loses its share of the DC the mix loses
            for start in range(0, spill.frames, spill.page):
                yield plan.apply(spill.read(start, min(start + spill.page, spill.frames)), start, mix=False,
                                 dc=share)

        peak = max((true_peak(block, sr) for spill in kept.values() for block in mastered(spill)), default=0.0)
        trim = np.float32(min(1.0, db_to_gain(CEILING_DB) / peak) if peak > 0 else 1.0)
        for stem_id, name in zip(ids, names, strict=True):
            with open(folder / name, "wb") as f, \
                    AudioWriter(f, fmt, sr, 2, bit_depth=bit_depth, bitrate=bitrate) as out:
                for block in mastered(kept[stem_id]):
                    out.write(block * trim if trim < 1.0 else block)
            kept[stem_id].close()
    finally:
        for spill in kept.values():
            spill.close()
    return [folder / name for name in names]


def export_state(state: State, path: str | os.PathLike[str], *, stems: bool | Sequence[str] = False,
                 format: str | None = None, loop: bool = True, bit_depth: int | str = 24,
                 bitrate: int = 192, cache: bool = True, loudness: float | str | None = None) -> list[Path]:
    """Write ``state`` (no manifest) and return the paths written.

    The mix goes to ``path``. With ``stems`` (``True`` or a list of stem ids), ``path`` is
    a folder, or a ``.zip``, holding one file per stem in ``format`` (default WAV; a path
    like ``stems.flac`` means the folder ``stems`` of FLAC files).
    ``loop=False`` lets tails ring out past the loop's end; ``bit_depth`` is 16, 24 or
    ``"float"`` (WAV); ``bitrate`` in kbps for MP3; ``loudness`` the mix's target (see
    :func:`resolve_loudness`: -14 LUFS by default), which the stems share.
    """
    target = resolve_loudness(loudness)
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
        with open(path, "wb") as f:
            if held_bytes(state, 0) > STREAM_BYTES:  # too long to hold: made and written a block at a time
                write_mix(state, f, fmt, loop=loop, bit_depth=bit_depth, bitrate=bitrate, cache=cache,
                          target_lufs=target)
            else:
                with AudioWriter(f, fmt, state.meta.sample_rate, 2, bit_depth=bit_depth, bitrate=bitrate) as out:
                    out.write(render_mix(state, cache=cache, loop=loop, target_lufs=target))
        return [path]
    ids = _stem_ids(state, stems)
    if path.suffix.lower() != ".zip":
        path.mkdir(parents=True, exist_ok=True)
        return _write_stems(state, ids, fmt, path, loop=loop, bit_depth=bit_depth, bitrate=bitrate, cache=cache,
                            target_lufs=target)
    with tempfile.TemporaryDirectory(prefix="orchestria-stems-") as tmp, \
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for file in _write_stems(state, ids, fmt, Path(tmp), loop=loop, bit_depth=bit_depth, bitrate=bitrate,
                                 cache=cache, target_lufs=target):
            info = zipfile.ZipInfo(file.name, date_time=(1980, 1, 1, 0, 0, 0))  # same bytes every time
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size = file.stat().st_size
            with open(file, "rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            file.unlink()  # one stem on disk at a time, besides the archive
    return [path]
