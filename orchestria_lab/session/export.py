"""A session's exports: the files (:func:`~orchestria_lab.audio.export.export_state`) and the
manifest beside them, which says what made them (session, version, the commands, agents and
seeds, package and engine versions, checkpoint hashes and the full state), so that
:func:`reproduce_export` writes the same files again, bit for bit.

The manifest lives here, not in ``audio/``: it reads the session's records and the models'
checkpoints, and audio/ sits below both.

>>> import tempfile
>>> from orchestria_lab.session import Session, SQLiteStore
>>> s = Session.create(bpm=120, key="C", genre="pop", bars=1, store=SQLiteStore(":memory:"))
>>> _ = s.command("add an 808 bass line")
>>> files = export_session(s, tempfile.mkdtemp() + "/loop.mid")
>>> [f.suffix for f in files], json.loads(files[-1].read_text())["commands"][-1]["command"]
(['.mid', '.json'], 'add an 808 bass line')
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from orchestria_lab.audio.dynamics import MASTER_BUS
from orchestria_lab.audio.export import (
    MANIFEST_SUFFIX,
    export_state,
    resolve_format,
    resolve_loudness,
    stems_target,
)
from orchestria_lab.audio.render import CEILING_DB, ENGINE_VERSION
from orchestria_lab.state import state_from_dict


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_path(path: str | os.PathLike[str], *, stems: bool | Sequence[str] = False) -> Path:
    """Where the manifest of an export at ``path`` goes: inside a stems folder, else beside the file."""
    path = Path(path)
    if stems is not False and path.suffix.lower() != ".zip":
        return path / "manifest.json"
    return path.with_name(path.name + MANIFEST_SUFFIX)


def _checkpoints(agents: set[str]) -> dict[str, str]:
    try:
        from orchestria_lab.models import generate
    except ImportError:
        return {}
    checkpoint_hash = getattr(generate, "checkpoint_hash", None)
    available = getattr(generate, "available", None)
    if checkpoint_hash is None:
        return {}
    out = {}
    for name in sorted(agents):
        if available is not None and not available(name):
            continue
        try:
            digest = checkpoint_hash(name)
        except Exception:  # noqa: BLE001 - a missing or unreadable checkpoint is recorded as absent
            continue
        if digest:
            out[name] = str(digest)
    return out


def export_session(session: Any, path: str | os.PathLike[str], *, stems: bool | Sequence[str] = False,
                   version: int | None = None, format: str | None = None, loop: bool = True,
                   bit_depth: int | str = 24, bitrate: int = 192, cache: bool = True,
                   loudness: float | str | None = None) -> list[Path]:
    """Export ``version`` (default: current) of ``session``; see :func:`export_state`.

    Returns the files written, the manifest last.
    """
    import orchestria_lab

    number = session.version if version is None else int(version)
    state = session.state_at(number)
    written = export_state(state, path, stems=stems, format=format, loop=loop, bit_depth=bit_depth,
                           bitrate=bitrate, cache=cache, loudness=loudness)
    records = [r for r in session.records if r.version <= number]
    agents = {a for r in records for a in r.agents}
    if stems is False:
        fmt, target = resolve_format(written[0], format), manifest_path(written[0])
    else:
        folder, fmt = stems_target(Path(path), format)
        target = manifest_path(folder, stems=stems)
    import torch

    manifest = {
        "orchestria_export": 1,
        "session_id": session.id,
        "version": number,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "format": fmt,
        "options": {"stems": stems if isinstance(stems, bool) else list(stems), "loop": loop,
                    "bit_depth": bit_depth, "bitrate": bitrate, "sample_rate": state.meta.sample_rate,
                    "target_lufs": resolve_loudness(loudness), "ceiling_db": CEILING_DB},
        "master": {"target_lufs": resolve_loudness(loudness), "true_peak_ceiling_dbtp": CEILING_DB,
                   "chain": ["dc removal", "glue compressor", "loudness gain", "true-peak limiter"],
                   **MASTER_BUS.to_dict(), "stems": "each through the mix's master gain: they sum to the mix"},
        "files": [{"name": p.name, "bytes": p.stat().st_size, "sha256": _sha256(p)} for p in written],
        "sections": [s.to_dict() for s in state.meta.sections],
        "commands": [{"version": r.version, "parent": r.parent, "command": r.command,
                      "agents": list(r.agents), "seed": r.seed} for r in records],
        "seeds": {"session": state.meta.seed, "versions": {str(r.version): r.seed for r in records}},
        "package": {"name": "orchestria-lab", "version": orchestria_lab.__version__,
                    "audio_engine": ENGINE_VERSION, "numpy": np.__version__, "torch": torch.__version__},
        "agents": sorted(agents),
        "checkpoints": _checkpoints(agents),
        "state_hash": hashlib.sha256(json.dumps(state.to_dict(), sort_keys=True).encode()).hexdigest(),
        "state": state.to_dict(),
    }
    target.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return [*written, target]


def reproduce_export(manifest: str | os.PathLike[str], path: str | os.PathLike[str]) -> list[Path]:
    """Write again, at ``path``, the export a manifest describes (with caching off).

    Compare the files' sha256 with the manifest's to check a bit-for-bit reproduction.
    """
    m = json.loads(Path(manifest).read_text())
    opts = m["options"]
    return export_state(state_from_dict(m["state"]), path, stems=opts["stems"], format=m["format"],
                        loop=opts["loop"], bit_depth=opts["bit_depth"], bitrate=opts["bitrate"], cache=False,
                        loudness=opts.get("target_lufs"))
