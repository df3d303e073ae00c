"""``check_agent``: the contract test every agent passes, built-in or plugin.

It checks that the spec is valid and JSON-safe, and for each example action that the
agent is deterministic for a seed, pure (the input state is unchanged), and returns an
Edit that applies cleanly to a valid, JSON-safe state.

>>> from orchestria_lab.agents.registry import get_agent
>>> checked = check_agent(get_agent("mix"))
>>> checked[0]
'mix.gain(chords, change_db=3)'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from orchestria_lab.agents.base import Action, Agent
from orchestria_lab.state import Edit, Meta, State, apply


@lru_cache(maxsize=1)
def contract_state() -> State:
    """A small finished session (chords, drums, bass, melody in C minor lo-fi) to test agents on."""
    from orchestria_lab.agents.registry import get_agent

    state = State(Meta(bpm=90, key="Cm", genre="lo-fi", bars=4, seed=7))
    for i, action in enumerate((Action("harmony", "add", params={"instrument": "piano"}),
                                Action("drums", "add", params={"style": "boom_bap"}),
                                Action("bass", "add"), Action("melody", "add"))):
        state = apply(state, get_agent(action.agent)(state, action, np.random.default_rng(i)))
    return state


def check_agent(agent: Agent, *, state: State | None = None, actions: Sequence[Action] | None = None,
                seed: int = 0) -> list[str]:
    """Run the agent contract on ``agent``; raise ``AssertionError`` saying what broke.

    ``actions`` default to ``agent.examples(state)``; ``state`` to :func:`contract_state`.
    Returns the actions checked, described.
    """
    spec = agent.spec
    spec.check()
    live = agent.describe()
    live.check()
    json.dumps(live.to_dict(), allow_nan=False)
    assert callable(agent), f"{spec.name}: an agent must be callable as agent(state, action, rng)"
    state = contract_state() if state is None else state
    actions = list(agent.examples(state) if actions is None else actions)
    assert actions, f"{spec.name}: no example actions; pass actions=[...] or define examples(state)"
    before = json.dumps(state.to_dict(), sort_keys=True)
    checked = []
    for action in actions:
        label = action.describe()
        assert action.intent in spec.capabilities, f"{label}: intent not in the capabilities {spec.capabilities}"
        first = agent(state, action, np.random.default_rng(seed))
        second = agent(state, action, np.random.default_rng(seed))
        assert isinstance(first, Edit), f"{label}: returned {type(first).__name__}, not an Edit"
        assert first == second, f"{label}: not deterministic for one seed (two runs gave different edits)"
        assert json.dumps(state.to_dict(), sort_keys=True) == before, f"{label}: changed its input state"
        new = apply(state, first)
        json.dumps(new.to_dict(), allow_nan=False)
        checked.append(label)
    return checked
