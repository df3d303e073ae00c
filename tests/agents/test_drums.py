"""The drums agent on an existing kit: voices laid over the groove, double and half time, what a change says."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from orchestria_lab.agents import Action, get_agent
from orchestria_lab.state import Meta, State, apply

KICK, SNARE, CLAP, HAT = 36, 38, 39, 42


@pytest.fixture(scope="module")
def kit() -> State:
    state = State(Meta(bpm=90, key="Cm", genre="lo-fi", bars=8, seed=7))
    return apply(state, get_agent("drums")(state, Action("drums", "add", params={"style": "boom_bap"}),
                                           np.random.default_rng(0)))


def change(state: State, **params):
    edit = get_agent("drums")(state, Action("drums", "change", "drums", params), np.random.default_rng(1))
    return edit, apply(state, edit)


def count(state: State) -> Counter:
    return Counter(n.pitch for n in state.stem("drums").notes)


def test_double_time_plays_the_groove_twice_as_fast(kit):
    edit, fast = change(kit, double_time=True)
    assert edit.summary == "drums: double-time feel"
    before, after = count(kit), count(fast)
    assert after[KICK] == 2 * before[KICK] and after[SNARE] >= 1.5 * before[SNARE]
    assert max(n.start for n in fast.stem("drums").notes) < 8 * 4  # still eight bars
    edit, half = change(fast, half_time=True)
    assert "double_time" not in half.stem("drums").params and edit.summary.startswith("drums: ")
    assert "default" not in edit.summary


def test_a_voice_the_groove_lacks_is_laid_over_it(kit):
    edit, clapped = change(kit, include=["clap"])
    assert edit.summary == "drums: added clap"
    claps = sorted({round(n.start % 4, 2) for n in clapped.stem("drums").notes if n.pitch == CLAP})
    assert claps == [1.0, 3.0]  # the backbeats
    kept = [n for n in clapped.stem("drums").notes if n.pitch != CLAP]
    assert kept == list(kit.stem("drums").notes)  # the groove itself is untouched


def test_adding_a_voice_the_groove_has_plays_it_busier(kit):
    edit, busy = change(kit, include=["hats"])
    assert count(busy)[HAT] > 1.8 * count(kit)[HAT] and edit.summary == "drums: busier hats"
    edit, again = change(busy, include=["hats"])
    assert not edit.update and "already" in edit.summary  # nothing more to add


def test_bringing_back_a_voice_restores_the_groove_exactly(kit):
    _, quiet = change(kit, exclude=["hats"])
    assert count(quiet)[HAT] == 0
    _, back = change(quiet, include=["hats"])
    assert back.stem("drums").notes == kit.stem("drums").notes


def test_a_new_style_with_its_voice_is_the_new_groove_only(kit):
    edit, house = change(kit, style="four_on_the_floor", include=["kick"])
    assert edit.summary == "drums: groove boom bap → four on the floor"
    assert "layers" not in house.stem("drums").params
    kicks = sorted({round(n.start % 4, 2) for n in house.stem("drums").notes if n.pitch == KICK})
    assert kicks == [0.0, 1.0, 2.0, 3.0]


def test_a_change_to_what_is_already_so_changes_nothing(kit):
    edit, _ = change(kit, half_time=False)
    assert not edit.update and edit.summary == "drums already plays that way"


def test_a_new_kit_asked_for_with_a_voice_has_it():
    state = State(Meta(bpm=90, key="Cm", genre="lo-fi", bars=8, seed=7))
    agent = get_agent("drums")
    clapped = apply(state, agent(state, Action("drums", "add", params={"style": "boom_bap", "include": ["clap"]}),
                                 np.random.default_rng(0)))
    hats = apply(state, agent(state, Action("drums", "add", params={"style": "boom_bap", "include": ["hats"]}),
                              np.random.default_rng(0)))
    plain = apply(state, agent(state, Action("drums", "add", params={"style": "boom_bap"}), np.random.default_rng(0)))
    assert count(clapped)[CLAP] > 0 and count(plain)[CLAP] == 0
    assert hats.stem("drums").notes == plain.stem("drums").notes  # a new kit's hats are the groove's own
