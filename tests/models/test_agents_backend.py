"""The generator agents use the model backend where a checkpoint is present, through this contract."""

from __future__ import annotations

import numpy as np
import pytest

import orchestria_lab
from orchestria_lab.agents import Action, get_agent
from orchestria_lab.state import Meta, State, apply

GENERATORS = ("harmony", "melody", "bass", "drums")


def test_agents_report_the_model_backend_when_checkpoints_are_present(debug_models):
    table = orchestria_lab.list_agents().set_index("name")
    for name in GENERATORS:
        assert table.loc[name, "backend"] == "model" and table.loc[name, "status"] == "ready"


def test_agents_report_the_baseline_without_checkpoints(debug_models, tmp_path, monkeypatch):
    monkeypatch.setattr(debug_models, "CHECKPOINT_DIR", tmp_path)
    table = orchestria_lab.list_agents().set_index("name")
    assert all(table.loc[name, "backend"] == "baseline" for name in GENERATORS)


def test_the_drums_agent_plays_what_the_model_makes(debug_models):
    state = State(Meta(bpm=124, key="C", genre="techno", seed=3))  # a straight genre: no swing laid on
    stem = apply(state, get_agent("drums")(state, Action("drums", "add"), np.random.default_rng(0))).stem("drums")
    assert stem.params["backend"] == "model"
    direct = debug_models.drums(genre="techno", time_signature="4/4", bars=8,
                                rng=np.random.default_rng([int(stem.params["seed"]), 2]))
    assert list(stem.notes) == sorted(direct, key=lambda n: (n.start, n.pitch, n.duration, n.velocity))


def test_swing_asked_of_model_drums_moves_their_offbeat_sixteenths(debug_models):
    state = State(Meta(bpm=124, key="C", genre="techno", seed=3))
    drums = get_agent("drums")
    state = apply(state, drums(state, Action("drums", "add"), np.random.default_rng(0)))
    straight = state.stem("drums")
    swung = apply(state, drums(state, Action("drums", "change", "drums", {"swing": 0.6}),
                               np.random.default_rng(1))).stem("drums")
    assert swung.params["backend"] == "model"
    offbeats = [n for n in straight.notes if abs(n.start % 0.5 - 0.25) < 1e-6]
    assert offbeats  # the model plays some off-beat 16ths
    moved = {round(n.start % 0.5, 4) for n in swung.notes} - {0.0}
    assert moved == {round(0.25 + 0.6 * 0.5 / 6, 4)}  # every off-beat 16th lands late, by the swing


@pytest.mark.parametrize("backend", ["model", "baseline"])
def test_a_whole_session_can_be_made_with_either_backend(debug_models, backend):
    state = State(Meta(bpm=100, key="Dm", genre="folk", time_signature="6/8", seed=1))
    for i, name in enumerate(GENERATORS):
        state = apply(state, get_agent(name)(state, Action(name, "add", params={"backend": backend}),
                                             np.random.default_rng(i)))
    assert {s.agent for s in state.stems} == set(GENERATORS)
    assert all(s.params["backend"] == backend and s.notes for s in state.stems)
