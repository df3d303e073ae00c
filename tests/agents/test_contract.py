"""The agent contract: specs checked at registration, check_agent on every agent, the catalogue."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import numpy as np
import pytest

import orchestria_lab
from orchestria_lab.agents import (
    Action,
    Agent,
    AgentSpec,
    Param,
    check_agent,
    get_agent,
    register,
    registered,
    registry,
)
from orchestria_lab.agents.contract import contract_state
from orchestria_lab.errors import InvalidValue, NotFound
from orchestria_lab.state import Edit, State

EIGHT = ("harmony", "melody", "bass", "drums", "sound", "effects", "mix", "arrange")


@pytest.mark.parametrize("name", EIGHT)
def test_every_agent_passes_the_contract(name):
    checked = check_agent(get_agent(name))
    assert checked, name


def test_the_table_lists_the_eight_with_json_safe_specs():
    table = orchestria_lab.agents()
    assert list(table.columns) == ["name", "description", "capabilities", "parameters", "status", "backend"]
    assert set(EIGHT) <= set(table["name"])
    assert set(table["status"]) <= {"ready", "untrained", "busy", "error"}
    json.dumps(table.to_dict("records"), allow_nan=False)
    generators = table.set_index("name").loc[["harmony", "melody", "bass", "drums"]]
    assert set(generators["backend"]) <= {"model", "baseline"}
    first = table.iloc[0]["parameters"][0]
    assert set(first) == {"name", "type", "range", "default", "unit", "description"}


def test_a_failed_lookup_lists_the_names():
    with pytest.raises(NotFound, match="Available: arrange, bass, drums"):
        get_agent("conductor")


class Echo(Agent):
    spec = AgentSpec("echo", "Renames nothing; returns an empty edit.", ("noop",),
                     (Param("times", "int", 1, low=1, high=3),))

    def noop(self, state, action, rng):
        return Edit(summary="nothing")

    def examples(self, state):
        return [Action("echo", "noop", params={"times": 2})]


@pytest.mark.parametrize("spec, match", [
    (AgentSpec("Bad Name", "x", ("a",)), "agent name"),
    (AgentSpec("ok", "", ("a",)), "description"),
    (AgentSpec("ok", "x", ()), "capabilities"),
    (AgentSpec("ok", "x", ("a", "a")), "without repeats"),
    (AgentSpec("ok", "x", ("a",), status="sleepy"), "status"),
    (AgentSpec("ok", "x", ("a",), (Param("p", "int"), Param("p", "float"))), "distinct names"),
    (AgentSpec("ok", "x", ("a",), intent_params={"b": ()}), "intent_params"),
])
def test_bad_specs_are_refused_at_registration(spec, match):
    bad = type("Bad", (Agent,), {"spec": spec, "a": lambda self, s, a, r: Edit()})
    with pytest.raises(InvalidValue, match=match):
        register(bad)


def test_an_intent_without_a_method_is_refused():
    bad = type("NoMethod", (Agent,), {"spec": AgentSpec("nomethod", "x", ("go",))})
    with pytest.raises(InvalidValue, match=r"NoMethod.go\(state, action, rng\)"):
        register(bad)


def test_params_are_checked_against_the_spec():
    echo = Echo()
    state = contract_state()
    with pytest.raises(InvalidValue, match="times=9"):
        echo(state, Action("echo", "noop", params={"times": 9}), np.random.default_rng(0))
    with pytest.raises(InvalidValue, match="echo intent"):
        echo(state, Action("echo", "shout"), np.random.default_rng(0))


def test_plugins_come_from_the_entry_point_group(monkeypatch):
    ep = EntryPoint("echo", f"{__name__}:Echo", registry.ENTRY_POINT_GROUP)
    broken = EntryPoint("broken", "no_such_module_xyz:Agent", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [ep, broken] if group == registry.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(registry, "_loaded", False)
    try:
        with pytest.warns(UserWarning, match="broken"):
            names = registered()
        assert "echo" in names and set(EIGHT) <= set(names)
        assert check_agent(names["echo"]) == ["echo.noop(times=2)"]
    finally:
        registry.unregister("echo")


class Impure(Agent):
    spec = AgentSpec("impure", "Uses randomness it was not given.", ("roll",))
    _calls = 0

    def roll(self, state, action, rng):
        Impure._calls += 1
        return Edit(meta={"bpm": 90 + Impure._calls})


class Wrong(Agent):
    spec = AgentSpec("wrong", "Returns a state, not an edit.", ("go",))

    def go(self, state, action, rng):
        return state


def test_check_agent_catches_what_breaks_the_contract():
    with pytest.raises(AssertionError, match="not deterministic"):
        check_agent(Impure(), actions=[Action("impure", "roll")])
    with pytest.raises(TypeError, match="not an Edit"):
        check_agent(Wrong(), actions=[Action("wrong", "go")])
    with pytest.raises(AssertionError, match="no example actions"):
        check_agent(Impure())


def test_generators_report_their_backend():
    from orchestria_lab.agents.melody import MelodyAgent
    from orchestria_lab.models.generate import available

    assert get_agent("melody").describe().backend == ("model" if available("melody") else "baseline")
    forced = MelodyAgent(backend="model")
    if not available("melody"):
        assert forced.describe().status == "untrained"
        with pytest.raises(InvalidValue, match="no trained melody checkpoint"):
            get_agent("melody")(State(contract_state().meta), Action("melody", "add", params={"backend": "model"}),
                                np.random.default_rng(0))
    baseline = get_agent("melody")(contract_state(), Action("melody", "add", params={"backend": "baseline"}),
                                   np.random.default_rng(0))
    assert baseline.add[0].params["backend"] == "baseline"
