"""The trust rule in the grammar: what a command forbids, compares, cannot have, and what is not there.

Each test plans a command on a session of four parts (chords on piano with reverb, boom bap
drums, synth bass, a melody on electric piano) and checks the plan, or the refusal's words.
"""

from __future__ import annotations

import numpy as np
import pytest

from orchestria_lab.agents import Action, get_agent
from orchestria_lab.agents.contract import contract_state
from orchestria_lab.errors import CommandNotUnderstood
from orchestria_lab.language import parse
from orchestria_lab.language.frames import frames
from orchestria_lab.language.negation import protects, refrains
from orchestria_lab.music.genres import match_genre
from orchestria_lab.state import State, apply


@pytest.fixture(scope="module")
def state() -> State:
    s = contract_state()
    return apply(s, get_agent("effects")(s, Action("effects", "add", "chords", {"effect": "reverb"}),
                                         np.random.default_rng(0)))


def targets(text: str, state: State) -> set[str]:
    return {a.target for a in parse(text, state) if a.target}


def refusal(text: str, state: State) -> str:
    with pytest.raises(CommandNotUnderstood) as info:
        parse(text, state)
    return str(info.value)


@pytest.mark.parametrize(("text", "kept"), [
    ("don't touch the drums, just make the bass louder", "drums"),
    ("make it all brighter but leave the melody alone", "melody"),
    ("the drums are fine, it's the chords that are too loud", "drums"),
    ("keep the bass as it is and turn the drums up", "bass"),
    ("louder chords, but don't touch the melody", "melody"),
    ("don't change the melody, just brighten the chords", "melody"),
])
def test_a_part_the_command_protects_is_not_changed_by_any_clause(text, kept, state):
    assert kept not in targets(text, state)
    assert targets(text, state)  # the rest of the command is carried out


def test_protecting_everything_the_command_would_change_is_a_refusal_that_says_so(state):
    assert "leave drums as it is" in refusal("make the drums brighter, but don't touch the drums", state)


def test_forbidding_is_not_a_direction_and_a_direction_is_not_forbidding():
    assert [refrains(f) for f in frames("don't turn the melody down, turn the chords down")] == [True, False]
    assert [protects(f) or refrains(f) for f in frames("don't make it so loud")] == [False]
    assert [protects(f) for f in frames("the drums aren't too loud, the bass is too quiet")] == [True, False]


def test_a_refrained_clause_still_names_them_for_the_next(state):
    plan = parse("don't make the drums any brighter, they're already harsh", state)
    assert [(a.target, a.params.get("amount", 1) < 0) for a in plan] == [("drums", True)]


@pytest.mark.parametrize(("text", "target", "down"), [
    ("the chords are drowning out the melody", "chords", True),
    ("the bass shouldn't be any louder than the drums, bring it down", "bass", True),
    ("I can't hear the melody over everything else", "melody", False),
    ("the strings are too in your face", None, True),
])
def test_what_a_part_is_compared_with_is_a_reference_not_a_target(text, target, down, state):
    if target is None:  # no strings here: refused, not applied to something else
        assert "strings" in refusal(text, state)
        return
    plan = [a for a in parse(text, state) if a.intent == "gain"]
    assert {a.target for a in plan} == {target}
    assert all((a.params["change_db"] < 0) == down for a in plan)


@pytest.mark.parametrize(("text", "plan"), [
    ("the melody sits too high, bring it down an octave", ["melody.shift(melody, octaves=-1)"]),
    ("the bass shouldn't be any louder than the drums, bring it down", ["mix.gain(bass, change_db=-3)"]),
    ("it feels rushed, slow it down", ["arrange.tempo(change_bpm=-10)"]),
])
def test_a_complaint_then_the_same_request_is_done_once(text, plan, state):
    assert [a.describe() for a in parse(text, state)] == plan


@pytest.mark.parametrize(("text", "words"), [
    ("put a lowpass on the pad", ["no pad", "add a pad with a lowpass"]),
    ("unmute the organ", ["no organ", "add an organ"]),
    ("replace the organ with strings", ["no organ", "chords (piano)"]),
    ("add delay to the strings", ["no strings", "add strings with delay"]),
])
def test_a_part_that_is_not_there_is_never_made_by_an_edit(text, words, state):
    message = refusal(text, state)
    assert all(w in message for w in words), message


@pytest.mark.parametrize(("text", "words"), [
    ("add a vocal on top", ["vocals"]),
    ("get a rapper to rap over it", ["vocals"]),
    ("give me twelve variations of the melody", ["from 2 to 8 takes"]),
    ("add a 4 bar drum fill", ["fill"]),
    ("add rock guitar chords with 7ths", ["triads"]),
    ("repeat the last 4 bars", ["end of the song"]),
])
def test_what_we_cannot_make_is_refused_by_name_never_replaced(text, words, state):
    message = refusal(text, state)
    assert all(w in message for w in words), message


def test_harmless_detail_reaches_the_agent():
    from orchestria_lab.state import Meta

    pop = State(Meta(bpm=110, key="C", genre="pop", seed=1))
    (action,) = parse("add piano chords with 7ths and 9ths", pop)
    assert action.params["style"] == "jazzy"  # the family with sevenths and ninths
    (action,) = parse("add jazz piano chords with 7ths and 9ths", pop)
    assert action.params["style"] == "jazz"


def test_doubling_adds_a_copy_and_keeps_the_part(state):
    plan = parse("double the melody an octave up", state)
    assert [(a.agent, a.intent) for a in plan] == [("arrange", "restore"), ("melody", "shift")]
    assert plan[0].target == plan[1].target != "melody" and plan[0].params["copy_of"] == "melody"
    layer = parse("layer the melody with strings", state)[0]
    assert '"instrument": "strings"' in layer.params["stem"] and layer.target != "melody"


@pytest.mark.parametrize(("text", "genre"), [
    ("switch the genre to dubstep", "dubstep"), ("make it UK garage", "uk-garage"),
    ("give it an afrobeats vibe", "afrobeats"), ("make it vaporwave", "vaporwave"),
])
def test_a_genre_in_free_text_is_passed_on_and_matched_by_its_traits(text, genre, state):
    (action,) = [a for a in parse(text, state) if a.intent == "genre"]
    assert action.params["genre"] == genre
    assert match_genre(genre).genre in ("synthwave", genre)


@pytest.mark.parametrize(("text", "faster"), [
    ("it's dragging", True), ("this is a bit sluggish", True), ("it feels rushed, slow it down", False),
    ("ease off the tempo a touch", False),
])
def test_pace_words_set_the_tempo_their_way(text, faster, state):
    (action,) = parse(text, state)
    assert action.intent == "tempo" and (action.params["change_bpm"] > 0) == faster


def test_bar_edits_keep_to_what_the_command_protects(state):
    copies = parse("repeat the first 2 bars for the whole song but don't touch the drums", state)
    assert {a.intent for a in copies} == {"copy_bars"} and {a.params["only"] for a in copies} == {
        s.stem_id for s in state.stems} - {"drums"}
    assert len(parse("repeat the first 2 bars for the whole song, leave the drums alone", state)) == 3
    assert "leaves drums as it is" in refusal("cut the last 2 bars but don't touch the drums", state)
