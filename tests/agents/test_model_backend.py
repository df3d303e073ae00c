"""The generators on the model backend: debug checkpoints trained here, in seconds.

Whatever checkpoints ship, this holds the agents to the models' contract (``chords``,
``melody``, ``bass``, ``drums`` in ``models.generate``) and the parts to the same
musical checks as the baseline: notes in key or on the chord, drums on the grid.
"""

from __future__ import annotations

import numpy as np
import pytest

from orchestria_lab.agents import Action, get_agent
from orchestria_lab.agents.context import current_chords
from orchestria_lab.music.analysis import grid_fit, harmonic_fit
from orchestria_lab.state import Meta, State, apply


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from orchestria_lab.models.train import train

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("checkpoints")
    for part in ("harmony", "melody", "bass", "drums"):
        train(part, preset="debug", out_dir=out, progress=False)
    return out


@pytest.fixture
def models(checkpoints, monkeypatch):
    from orchestria_lab.models import generate

    monkeypatch.setattr(generate, "CHECKPOINT_DIR", checkpoints)
    return generate


@pytest.mark.parametrize("time_signature", ["4/4", "3/4"])
def test_the_model_backend_through_the_agents(models, time_signature):
    assert {get_agent(n).spec.backend for n in ("harmony", "melody", "bass", "drums")} == {"model"}
    state = State(Meta(bpm=90, key="Cm", genre="lo-fi", time_signature=time_signature, bars=4, seed=3))
    for i, name in enumerate(("harmony", "drums", "bass", "melody")):
        state = apply(state, get_agent(name)(state, Action(name, "add"), np.random.default_rng(i)))
    assert all(s.params["backend"] == "model" and s.notes for s in state.stems)
    chords = current_chords(state)
    for role in ("melody", "bass"):
        assert harmonic_fit(state.stem(role).notes, chords, key="Cm").outside == 0, role
    drums = state.stem("drums")
    swing_amount = get_agent("drums").default_swing(state, drums.params)  # lo-fi swings its 16ths
    assert swing_amount > 0
    assert grid_fit(drums.notes, swing_amount=swing_amount, subdivision=0.25) == 1.0
    assert grid_fit(drums.notes) < 1.0  # and they are not left straight
    for role in ("melody", "bass"):  # swung eighths: no off-beat eighth left straight
        stem = state.stem(role)
        amount = get_agent(role).default_swing(state, stem.params)
        assert grid_fit(stem.notes, swing_amount=amount) == 1.0, role
        assert not [n for n in stem.notes if n.start % 1.0 == 0.5], role
    remade = apply(state, get_agent("arrange")(state, Action("arrange", "time_signature", params={"time_signature": "6/8"}),
                                               np.random.default_rng(0)))
    assert all(n.start < remade.meta.total_beats for s in remade.stems for n in s.notes)
