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
