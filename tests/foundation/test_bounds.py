"""Bounds on work, checked when it is asked for: a clear 413 naming the limit, and no version."""

import pytest

from orchestria_lab import Session
from orchestria_lab.errors import InvalidValue, LimitExceeded
from orchestria_lab.session.bounds import Bounds
from orchestria_lab.session.store import SQLiteStore
from orchestria_lab.state import Edit, Note, Stem


@pytest.fixture
def store(tmp_path):
    return SQLiteStore(tmp_path / "bounds.db")


def test_a_session_longer_than_the_limit_is_refused_at_creation(store):
    with pytest.raises(LimitExceeded) as caught:
        Session.create(bpm=20, key="Cm", genre="lo-fi", time_signature="32/1", bars=256, store=store)
    assert caught.value.status == 413
    assert caught.value.details == {"limit": "the session's length in seconds", "value": 98304,
                                    "maximum": 1200, "setting": "ORCHESTRIA_MAX_DURATION_S"}
    assert store.list_sessions() == []


def test_a_command_with_too_many_actions_is_refused_before_any_agent_runs(store):
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, store=store)
    with pytest.raises(LimitExceeded, match="ORCHESTRIA_MAX_ACTIONS"):
        s.command(" and ".join(["add piano"] * 30))
    assert s.refresh().version == 0 and s.stems.empty


def test_lengthening_past_the_limit_makes_no_version(store):
    s = Session.create(bpm=20, key="Cm", genre="lo-fi", bars=60, seed=7, store=store)
    with pytest.raises(LimitExceeded, match="length in seconds would be 3072"):
        s.command("make it 256 bars")
    assert s.refresh().version == 0 and s.bars == 60


def test_stems_past_the_limit_are_refused(store, monkeypatch):
    monkeypatch.setenv("ORCHESTRIA_MAX_STEMS", "2")
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, store=store)

    def add(state, _rng):
        return Edit(add=[Stem(state.new_stem_id("bass"), role="bass", instrument="sub_bass",
                              notes=[Note(36, 0, 1, 90)])])
    s.commit(add, command="one")
    s.commit(add, command="two")
    with pytest.raises(LimitExceeded, match="the number of stems would be 3, over the limit of 2"):
        s.commit(add, command="three")
    assert s.refresh().version == 2


def test_render_size_and_bad_settings(monkeypatch):
    from orchestria_lab.state import Meta, State

    long_hi_res = State(Meta(bpm=60, key="C", genre="house", bars=150, sample_rate=96000))  # 600 s
    Bounds().check_state(long_hi_res)
    with pytest.raises(LimitExceeded, match="render size"):
        Bounds(max_render_frames=96000 * 599).check_state(long_hi_res)
    with pytest.raises(InvalidValue, match="ORCHESTRIA_MAX_STEMS"):
        Bounds.from_env({"ORCHESTRIA_MAX_STEMS": "lots"})
    assert Bounds.from_env({"ORCHESTRIA_MAX_STEMS": "4"}).max_stems == 4
