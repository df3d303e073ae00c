"""The model backend of the generator agents (harmony, melody, bass, drums).

Contract used by ``agents/``: ``available(name)`` says whether a trained checkpoint ships
for that agent; the four generators share the signatures below. The models issue fills the
generators; until a checkpoint exists, agents use their music-theory baseline.
"""

from __future__ import annotations

from pathlib import Path

CHECKPOINT_DIR = Path(__file__).resolve().parents[2] / "data" / "checkpoints"
GENERATORS = ("harmony", "melody", "bass", "drums")


def checkpoint_path(name: str) -> Path:
    return CHECKPOINT_DIR / f"{name}.pt"


def available(name: str) -> bool:
    """Whether a trained checkpoint for generator ``name`` is present."""
    return name in GENERATORS and checkpoint_path(name).is_file()
