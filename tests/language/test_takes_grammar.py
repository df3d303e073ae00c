"""The words for several takes and for choosing one (language/takes.py): plans, not runs."""

from __future__ import annotations

import pytest

from orchestria_lab.errors import CommandNotUnderstood
from orchestria_lab.language.parser import parse
from orchestria_lab.state import Meta, Note, State, Stem


@pytest.fixture
def state() -> State:
    notes = [Note(60 + i % 5, float(i), 1.0, 90) for i in range(8)]
    stems = (Stem("chords", role="chords", instrument="piano", agent="harmony", notes=notes),
             Stem("melody", role="melody", instrument="electric_piano", agent="melody", notes=notes),
             Stem("drums", role="drums", instrument="drum_kit", agent="drums", notes=[Note(36, 0, 0.5, 100)]),
             Stem("mine", role="lead", instrument="synth_lead", agent="import", notes=notes))
    return State(Meta(bpm=90, key="Cm", genre="lo-fi", seed=7), stems)


@pytest.mark.parametrize(("text", "count", "target"), [
    ("give me 4 variations of the melody", 4, "melody"),
    ("give me three variations of the melody", 3, "melody"),
    ("try two different drum patterns", 2, "drums"),
    ("can I get 5 alternatives for the chords", 5, "chords"),
    ("write me eight takes of the melody", 8, "melody"),
])
def test_variations_are_one_regenerate_taken_several_times(text, count, target, state):
    first, *rest = parse(text, state)
    assert (first.agent, first.intent, first.params["count"]) == ("takes", "variations", count)
    assert [(a.intent, a.target) for a in rest] == [("regenerate", target)]


@pytest.mark.parametrize(("text", "candidate"), [
    ("take the second one", 2), ("the 2nd take", 2), ("candidate 3", 3), ("I'll take the first one please", 1),
    ("go with the last one", -1), ("pick the third", 3), ("let's go with take 2", 2),
])
def test_choices_name_a_candidate(text, candidate, state):
    (action,) = parse(text, state)
    assert (action.agent, action.intent, action.params["candidate"]) == ("takes", "choose", candidate)


@pytest.mark.parametrize("text", ["go back to version 2", "remove the last one", "fade out over the last second",
                                  "go back two versions", "mute the second verse"])
def test_other_commands_with_ordinals_and_numbers_are_no_choice(text, state):
    try:
        plan = parse(text, state)
    except CommandNotUnderstood:
        return  # refused for its own reasons; what matters is that it is no choice
    assert all(a.agent != "takes" for a in plan)


@pytest.mark.parametrize(("text", "words"), [
    ("give me 9 variations of the melody", ["from 2 to 8 takes", "not 9"]),
    ("give me 1 variation of the melody", ["from 2 to 8 takes"]),
    ("give me 4 variations of the bass", ["no bass"]),
    ("give me 3 variations of the lead", ["takes of a part the agents write", "mine (import)"]),
])
def test_variations_out_of_reach_are_refused_saying_why(text, words, state):
    with pytest.raises(CommandNotUnderstood) as caught:
        parse(text, state)
    assert all(w in str(caught.value) for w in words), str(caught.value)
