"""Debug-preset checkpoints for the model tests: trained once per test session, in seconds."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def debug_dir(tmp_path_factory):
    """A folder with debug checkpoints of all four generators."""
    from orchestria_lab.models.train import train

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("checkpoints")
    results = {part: train(part, preset="debug", out_dir=out, progress=False)
               for part in ("harmony", "melody", "bass", "drums")}
    return out, results


@pytest.fixture
def debug_models(debug_dir, monkeypatch):
    """``models.generate`` pointed at the debug checkpoints."""
    from orchestria_lab.models import generate

    monkeypatch.setattr(generate, "CHECKPOINT_DIR", debug_dir[0])
    return generate
