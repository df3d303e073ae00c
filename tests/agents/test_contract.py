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
    Target,
    check_agent,
    get_agent,
    register,
    registered,
    registry,
)
from orchestria_lab.agents.contract import contract_state
from orchestria_lab.errors import InvalidValue, NotFound
from orchestria_lab.language.plan import validate_plan
from orchestria_lab.music.scope import Scope
from orchestria_lab.state import Edit, Meta, Note, State, Stem

EIGHT = ("harmony", "melody", "bass", "drums", "sound", "effects", "mix", "arrange")


@pytest.mark.parametrize("name", EIGHT)
def test_every_agent_passes_the_contract(name):
    checked = check_agent(get_agent(name))
    assert checked, name


def test_the_table_lists_the_eight_with_json_safe_specs():
    table = orchestria_lab.list_agents()
    assert list(table.columns) == ["name", "description", "capabilities", "parameters", "status", "backend", "licence"]
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


class Theremin(Agent):
    """A plugin that makes its own stems: what it accepts is declared in its spec, nowhere else."""

    spec = AgentSpec("theremin", "Adds a theremin line; wobbles the one there is.", ("add", "wobble", "tune"),
                     targets={"add": Target.NEW, "wobble": Target.STEM, "tune": Target.SESSION},
                     scoped=("wobble",))

    def add(self, state, action, rng):
        stem = Stem(action.target or state.new_stem_id("lead"), role="lead", instrument="synth_lead",
                    agent="theremin", notes=[Note(72, 0.0, 4.0, 90)])
        return Edit(add=[stem], summary=f"added {stem.stem_id}")

    def wobble(self, state, action, rng):
        return Edit(summary="wobbled")

    def tune(self, state, action, rng):
        return Edit(summary="tuned")


def test_a_plugin_that_makes_stems_passes_validate_plan_by_its_spec(monkeypatch):
    ep = EntryPoint("theremin", f"{__name__}:Theremin", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [ep] if group == registry.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(registry, "_loaded", False)
    state = State(Meta(bpm=90, key="Cm", genre="lo-fi"))
    try:
        plan = validate_plan([Action("theremin", "add", "theremin"), Action("theremin", "wobble", "theremin"),
                              Action("theremin", "wobble", "theremin", scope=Scope(first_bar=5, last_bar=8)),
                              Action("theremin", "tune")], state)
        assert [a.target for a in plan] == ["theremin", "theremin", "theremin", None]
        with pytest.raises(InvalidValue, match="a stem id not in use"):
            validate_plan([Action("theremin", "add", "t"), Action("theremin", "add", "t")], state)
        with pytest.raises(InvalidValue, match="none yet"):
            validate_plan([Action("theremin", "wobble", "theremin")], state)
        with pytest.raises(InvalidValue, match="changes the whole song"):
            validate_plan([Action("theremin", "tune", "theremin")], state)
        with pytest.raises(InvalidValue, match="within the song"):  # an 8-bar song has no bar 9
            validate_plan([Action("theremin", "add", "t"),
                           Action("theremin", "wobble", "t", scope=Scope(first_bar=9))], state)
        with pytest.raises(InvalidValue, match="section of this song"):  # a section this song lacks
            validate_plan([Action("theremin", "add", "t"),
                           Action("theremin", "wobble", "t", scope=Scope(section="chorus"))], state)
        assert registered()["theremin"].spec.to_dict()["targets"] == {"add": "new", "wobble": "stem",
                                                                      "tune": "session"}
    finally:
        registry.unregister("theremin")


def test_a_scope_on_an_intent_that_takes_none_is_refused_never_applied_to_the_whole_song():
    state = State(Meta(bpm=90, key="Cm", genre="lo-fi", bars=16))
    with pytest.raises(InvalidValue) as caught:
        validate_plan([Action("arrange", "genre", params={"genre": "house"}, scope=Scope.last(4, of=16))], state)
    assert "cannot be limited to bars 13-16" in str(caught.value) and "whole song" in str(caught.value)
    with pytest.raises(InvalidValue, match="cannot be limited to the chorus"):
        validate_plan([Action("arrange", "time_signature", params={"time_signature": "3/4"},
                              scope=Scope(section="chorus"))], state)


def test_specs_refuse_targets_and_scopes_for_intents_they_do_not_have():
    with pytest.raises(InvalidValue, match="targets"):
        AgentSpec("x", "X.", ("go",), targets={"come": Target.NEW}).check()
    with pytest.raises(InvalidValue, match="scoped"):
        AgentSpec("x", "X.", ("go",), scoped=("come",)).check()
