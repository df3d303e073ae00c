"""The conductor: one command, one version; events; dry runs; history; planners; locality."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestria_lab import Session
from orchestria_lab.agents import Action
from orchestria_lab.errors import CommandNotUnderstood, InvalidValue
from orchestria_lab.session.conductor import Event, agent_states, run_command


@pytest.fixture
def band(store) -> Session:
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, bars=4, store=store)
    for text in ("add warm piano chords with reverb", "add a boom bap drum beat", "add a bass line",
                 "add a melody on electric piano"):
        s.command(text)
    return s


def test_one_command_is_one_version_with_events(session):
    events: list[Event] = []
    result = session.command("Add warm piano chords with reverb and a dusty drum beat", on_event=events.append)
    assert result.version == session.version == 1
    assert [a.agent for a in result.plan] == ["harmony", "sound", "effects", "drums", "sound"]
    types = [e.type for e in events]
    assert types[0] == "plan" and types[-1] == "version_created"
    assert types.count("agent_started") == types.count("agent_finished") == 5
    finished = [e.data["summary"] for e in events if e.type == "agent_finished"]
    assert finished[0].startswith("added chords (piano")
    assert session.versions.iloc[-1]["agents"] == ["harmony", "sound", "effects", "drums"]
    payload = json.dumps([e.to_dict() for e in events] + [result.to_dict()], allow_nan=False)
    assert '"dry_run": false' in payload
    assert set(result.to_dict()) >= {"version", "message", "plan", "diff"}
    assert "\n" not in result.message


def test_agents_are_working_while_they_run_and_idle_after(session):
    seen = {}

    def watch(event):
        if event.type == "agent_started":
            seen[event.data["agent"]] = agent_states(session.id)[event.data["agent"]]
    session.command("add a bass line", on_event=watch)
    assert seen == {"bass": "idle"} or seen == {"bass": "working"}
    states = agent_states(session.id)
    assert set(states.values()) == {"idle"} and "harmony" in states


def test_agents_are_marked_working_inside_the_agent_call(session, monkeypatch):
    from orchestria_lab.agents import get_agent

    mix = get_agent("mix")
    seen = []
    original = type(mix).gain

    def spy(self, state, action, rng):
        seen.append(agent_states(session.id)["mix"])
        return original(self, state, action, rng)
    monkeypatch.setattr(type(mix), "gain", spy)
    session.command("add a bass line")
    session.command("make the bass louder")
    assert seen == ["working"]


def test_dry_run_returns_the_plan_and_changes_nothing(band):
    before = (band.version, band.state)
    result = band.command("make the bass louder and pan it hard left", dry_run=True)
    assert result.dry_run and result.version == before[0]
    assert (band.version, band.state) == before
    assert [a.describe() for a in result.plan] == ["mix.gain(bass, change_db=3)", "mix.pan(bass, pan=-1)"]
    assert set(result.diff["field"]) == {"gain_db", "pan"}


def test_not_understood_makes_no_version_and_emits_an_error(band):
    events = []
    with pytest.raises(CommandNotUnderstood) as info:
        band.command("make me a sandwich", on_event=events.append)
    assert band.version == 4 and [e.type for e in events] == ["error"]
    assert events[0].data["suggestions"] == info.value.suggestions


def test_undo_redo_and_go_back(band):
    v = band.version  # 4: chords, drums, bass, melody
    band.command("remove the drums")                       # v5
    assert band.command("undo").version == v + 2           # v6 = content of v4
    assert "drums" in set(band.stems["role"])
    band.command("undo")                                   # v7 = content of v3 (undid v4)
    assert "melody" not in set(band.stems["role"])
    band.command("redo")                                   # v8 = v4 again
    assert {"melody", "drums"} <= set(band.stems["role"])
    band.command("redo")                                   # v9 = v5 again
    assert "drums" not in set(band.stems["role"])
    with pytest.raises(CommandNotUnderstood, match="nothing to redo"):
        band.command("redo")
    assert band.version == v + 5
    band.command("go back to version 1")
    assert list(band.stems["role"]) == ["chords"]
    records = band.versions
    assert list(records["agents"].iloc[-5:]) == [["history"]] * 5
    assert int(records["parent"].iloc[-1]) == 1
    with pytest.raises(InvalidValue, match="from 0 to"):
        band.command("go back to version 99")


def test_undo_several_steps_is_one_version(band):
    band.command("remove the drums")
    band.command("make the bass louder")
    result = band.command("undo the last two changes")
    assert result.version == 7 and band.state == band.state_at(4)
    band.command("redo")
    assert band.state == band.state_at(6)


def test_nothing_to_undo_on_a_new_session(session):
    with pytest.raises(CommandNotUnderstood, match="nothing to undo"):
        session.command("undo")
    assert session.version == 0


def test_a_command_that_would_change_nothing_is_refused_without_a_version(band):
    events = []
    with pytest.raises(CommandNotUnderstood, match="bass is already unsoloed") as info:
        band.command("unsolo the bass", on_event=events.append)
    types = [e.type for e in events]
    assert band.version == 4 and types[-1] == "error" and "version_created" not in types
    assert "nothing would change" in info.value.reason and info.value.code == "command_not_understood"
    band.command("mute the drums")
    with pytest.raises(CommandNotUnderstood, match="drums is already muted"):
        band.command("mute the drums")
    with pytest.raises(CommandNotUnderstood, match="already plays that way"):
        band.command("normal time drums")  # boom bap is in normal time already
    with pytest.raises(CommandNotUnderstood, match="Nothing to do"):
        band.command("unsolo the bass", dry_run=True)
    for text, why in (("set the tempo to 90", "the tempo is already 90 bpm"), ("center the bass", "already panned center"),
                      ("make it 4 bars long", "already 4 bars long"), ("reset the melody", "already has the plain"),
                      ("change the key to C minor", "the key is already Cm"), ("play the melody on electric piano", "already plays electric piano")):
        with pytest.raises(CommandNotUnderstood, match=why):
            band.command(text)
    assert band.version == 5


def test_go_back_to_the_original(band):
    result = band.command("go back to the original")
    assert result.version == 5 and band.stems.empty and band.state == band.state_at(0)
    band.command("undo")
    assert len(band.stems) == 4


def test_go_back_to_before_a_part_came_in(band):
    band.command("make the bass louder")                   # v5
    result = band.command("go back to before the drums")   # drums came in with v2
    assert [a.describe() for a in result.plan] == ["history.goto(version=1)"]
    assert list(band.stems["role"]) == ["chords"]
    with pytest.raises(CommandNotUnderstood, match="no version in this session brought in the strings"):
        band.command("revert to before the strings")


def test_it_means_the_stem_last_touched(band):
    band.command("add some strings")
    result = band.command("make it quieter")
    assert [a.target for a in result.plan] == ["pad"]


def test_bring_back_restores_a_removed_stem(band):
    drums = band.state.stem("drums")
    band.command("remove the drums")
    band.command("make the bass louder")
    band.command("bring back the drums")
    assert band.state.stem("drums").hash == drums.hash


@pytest.mark.parametrize("text, role", [
    ("make the piano warmer", "chords"), ("make the drums punchier", "drums"), ("add delay to the bass", "bass"),
    ("pan the melody left", "melody"), ("regenerate the chords", "chords"), ("put the melody up an octave", "melody"),
    ("swing the drums more", "drums"), ("kill the hats", "drums"), ("mute the bass", "bass"),
    ("replace the piano with an organ", "chords"), ("the drums are too loud", "drums"),
])
def test_a_command_aimed_at_one_stem_changes_only_that_stem(band, text, role):
    before = {s.stem_id: s.hash for s in band.state.stems}
    band.command(text)
    after = {s.stem_id: s.hash for s in band.state.stems}
    changed = {sid for sid in before if after.get(sid) != before[sid]}
    assert changed == {role}


class FixedPlanner:
    def __init__(self, plan):
        self.plan_ = plan

    def plan(self, text, context):
        return self.plan_


def test_any_planner_plugs_in_and_its_plan_is_validated(band):
    good = FixedPlanner([Action("mix", "gain", "bass", {"change_db": -2.0})])
    assert run_command(band, "whatever the llm heard", planner=good).message == "bass: gain +0 → -2 dB"
    for bad in ([Action("mix", "gain", "bass", {"change_db": "loud"})], [Action("dj", "scratch")],
                [Action("mix", "mute", "vocals")], []):
        with pytest.raises(CommandNotUnderstood, match="the plan does not fit"):
            run_command(band, "llm text", planner=FixedPlanner(bad))
    assert band.version == 5


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=120))
def test_commands_never_crash(session, text):
    before = session.version
    try:
        result = session.command(text)
    except (CommandNotUnderstood, InvalidValue):
        assert session.version == before
        return
    assert session.version == before + 1 == result.version


def test_an_llm_planner_over_an_openai_compatible_endpoint(band):
    import httpx

    from orchestria_lab.language.llm import ChatPlanner

    asked = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        asked.append(body)
        answer = ({"plan": [{"agent": "mix", "intent": "pan", "target": "bass", "params": {"pan": -1.0}}]}
                  if "low end" in body["messages"][-1]["content"] else {"not_understood": "that is not about music"})
        return httpx.Response(200, json={"choices": [{"message": {"content": json.dumps(answer)}}]})

    planner = ChatPlanner(base_url="http://llm.local/v1", model="tiny",
                          client=httpx.Client(transport=httpx.MockTransport(endpoint)))
    result = band.command("put the low end all the way over on the left", planner=planner)
    assert [a.describe() for a in result.plan] == ["mix.pan(bass, pan=-1)"]
    assert asked[0]["model"] == "tiny" and '"harmony"' in asked[0]["messages"][0]["content"]
    with pytest.raises(CommandNotUnderstood, match="not about music"):
        band.command("order a pizza", planner=planner)
    broken = ChatPlanner(base_url="http://llm.local/v1", model="tiny",
                         client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))))
    with pytest.raises(CommandNotUnderstood, match="gave no plan"):
        band.command("pan the low end", planner=broken)
