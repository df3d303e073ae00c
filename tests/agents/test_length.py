"""Length changes never rewrite a bar that exists: lengthening continues every part after its
last bar, shortening cuts (a note ringing past the new end stops there)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestria_lab.agents import Action, get_agent
from orchestria_lab.state import Meta, State, apply


def _song(bars: int, genre: str) -> State:
    state = State(Meta(bpm=100, key="Dm", genre=genre, bars=bars, seed=3))
    for i, name in enumerate(("harmony", "drums", "bass", "melody")):
        state = apply(state, get_agent(name)(state, Action(name, "add", params={"backend": "baseline"}),
                                             np.random.default_rng([3, i])))
    return state


def _outside(stem, low: float, high: float) -> list:
    """The notes of ``stem`` that start outside beats ``[low, high)``, in order."""
    return sorted(n for n in stem.notes if not low <= n.start < high)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=st.sampled_from([4, 8, 12]), new=st.integers(1, 24), genre=st.sampled_from(["lo-fi", "house", "dubstep"]))
def test_a_length_change_keeps_every_bar_that_stays(old, new, genre):
    before = _song(old, genre)
    after = apply(before, get_agent("arrange")(before, Action("arrange", "bars", params={"bars": new}),
                                             np.random.default_rng(0)))
    beats = before.meta.beats_per_bar
    kept_end, end = min(old, new) * beats, new * beats
    for stem in before.stems:
        now = after.stem(stem.stem_id)
        was = sorted((n.pitch, n.start, n.velocity) for n in stem.notes if n.start < kept_end - 1e-9)
        assert sorted((n.pitch, n.start, n.velocity) for n in now.notes if n.start < kept_end - 1e-9) == was
        assert all(n.start + n.duration <= end + 1e-6 for n in now.notes)
        if new > old:  # continued, not left silent
            assert any(n.start >= kept_end for n in now.notes), stem.stem_id


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.integers(1, 8), span=st.integers(1, 4))
def test_taking_bars_out_moves_what_follows_note_for_note(first, span):
    before = _song(12, "lo-fi")
    last = first + span - 1
    after = apply(before, get_agent("arrange")(before, Action("arrange", "delete_bars",
                                                              params={"first_bar": first, "last_bar": last}),
                                             np.random.default_rng(0)))
    beats = before.meta.beats_per_bar
    cut_from, gap = (first - 1) * beats, span * beats
    assert after.meta.bars == 12 - span
    for stem in before.stems:
        now = after.stem(stem.stem_id)
        head = sorted((n.pitch, n.start, n.velocity) for n in stem.notes if n.start < cut_from - 1e-9)
        tail = sorted((n.pitch, round(n.start - gap, 4), n.velocity) for n in stem.notes
                      if n.start >= cut_from + gap - 1e-9)
        assert sorted((n.pitch, n.start, n.velocity) for n in now.notes) == sorted(head + tail)


def test_cutting_the_last_bars_by_command_shortens_the_song_and_keeps_the_rest(store):
    from orchestria_lab import Session

    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, bars=16, store=store)
    s.command("add warm piano chords")
    kept = sorted(n for n in s.state.stems[0].notes if n.start < 48)
    assert s.command("cut the last 4 bars").message.startswith("took out bars 13-16")
    assert s.state.meta.bars == 12 and sorted(s.state.stems[0].notes) == kept


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.integers(1, 12), span=st.integers(1, 6), role=st.sampled_from(["drums", "chords", "bass", "melody"]))
def test_silencing_bars_of_a_part_leaves_every_note_outside_them_identical(first, span, role):
    from orchestria_lab.music.scope import Scope

    before = _song(12, "house")
    last = min(12, first + span - 1)
    target = next(s for s in before.stems if s.role == role)
    after = apply(before, get_agent("arrange")(before, Action("arrange", "clear", target.stem_id,
                                                              scope=Scope(first_bar=first, last_bar=last)),
                                             np.random.default_rng(0)))
    beats = before.meta.beats_per_bar
    low, high = (first - 1) * beats, last * beats
    for stem in before.stems:
        now = after.stem(stem.stem_id)
        assert _outside(now, low, high) == _outside(stem, low, high)
        inside = [n for n in now.notes if low <= n.start < high]
        assert (not inside) if stem.stem_id == target.stem_id else inside == [
            n for n in stem.notes if low <= n.start < high]


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.integers(1, 12), span=st.integers(1, 4), role=st.sampled_from(["drums", "chords", "bass", "melody"]),
       intent=st.sampled_from(["regenerate", "shift", "change", "fill"]), seed=st.integers(0, 5))
def test_a_scoped_edit_leaves_every_note_outside_its_bars_identical(first, span, role, intent, seed):
    """Every note outside the scope stays, and only the stem the edit touches renders again (every other
    stem keeps the cache key its audio is stored under)."""
    from orchestria_lab.audio.render import stem_cache_key
    from orchestria_lab.music.scope import Scope

    before = _song(12, "lo-fi")
    target = next(s for s in before.stems if s.role == role)
    if (intent == "shift" and target.is_drums) or (intent == "fill" and not target.is_drums):
        return
    last = min(12, first + span - 1)
    params = {"octaves": 1} if intent == "shift" else {"density_change": 0.3} if intent == "change" else {}
    action = Action(target.agent, intent, target.stem_id, params, scope=Scope(first_bar=first, last_bar=last))
    after = apply(before, get_agent(target.agent)(before, action, np.random.default_rng(seed)))
    beats = before.meta.beats_per_bar
    low, high = (first - 1) * beats, last * beats
    for stem in before.stems:
        now = after.stem(stem.stem_id)
        assert _outside(now, low, high) == _outside(stem, low, high)
        if stem.stem_id != target.stem_id:
            assert now.notes == stem.notes and now.hash == stem.hash
            assert stem_cache_key(after, now, loop=True) == stem_cache_key(before, stem, loop=True)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.integers(1, 4), span=st.integers(1, 3), to=st.integers(5, 10), repeat=st.booleans())
def test_copied_bars_play_the_source_note_for_note_and_leave_other_bars(first, span, to, repeat):
    before = _song(12, "lo-fi")
    last = first + span - 1
    until = 12 if repeat else min(12, to + span - 1)
    after = apply(before, get_agent("arrange")(before, Action("arrange", "copy_bars", params={
        "first_bar": first, "last_bar": last, "to_bar": to, "until_bar": until}), np.random.default_rng(0)))
    beats = before.meta.beats_per_bar
    lo, hi = (to - 1) * beats, until * beats
    for stem in before.stems:
        now = after.stem(stem.stem_id)
        assert _outside(now, lo, hi) == _outside(stem, lo, hi)
        source = sorted((n.pitch, round(n.start - (first - 1) * beats, 4), n.velocity) for n in stem.notes
                        if (first - 1) * beats <= n.start < last * beats)
        copy = sorted((n.pitch, round(n.start - lo, 4), n.velocity) for n in now.notes
                      if lo <= n.start < min(hi, lo + span * beats))
        assert copy == [s for s in source if s[1] < min(hi, lo + span * beats) - lo]


def test_repeating_the_first_bars_by_command(store):
    from orchestria_lab import Session

    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, bars=8, store=store)
    s.command("add a boom bap drum beat")
    first = sorted((n.pitch, n.start) for n in s.state.stems[0].notes if n.start < 8)
    assert s.command("repeat the first 2 bars for the whole song").message == "bars 1-2 copied to bars 3-8"
    notes = s.state.stems[0].notes
    for k in range(4):
        assert sorted((n.pitch, round(n.start - 8 * k, 4)) for n in notes if 8 * k <= n.start < 8 * (k + 1)) == first
