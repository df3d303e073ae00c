"""The grammar of accompaniment: parts made to fit the ones there are ("harmonize my melody", "a bass that
follows my chords", "drums that fit my bass", "continue my melody for 8 bars"), "my" for the user's own
part, and the part to fit never made up when it is not there."""

from __future__ import annotations

import pytest

from orchestria_lab.agents.contract import contract_state
from orchestria_lab.errors import CommandNotUnderstood
from orchestria_lab.language import parse
from orchestria_lab.language.frames import frames
from orchestria_lab.state import Meta, Note, State, Stem


@pytest.fixture(scope="module")
def band() -> State:
    """Chords, drums, bass and a melody, four bars (the agent contract's session)."""
    return contract_state()


@pytest.fixture(scope="module")
def tune() -> State:
    """A session holding only a melody the user imported."""
    melody = Stem("tune", role="melody", instrument="electric_piano", agent="midi",
                  notes=[Note(p, float(i), 1.0) for i, p in enumerate((60, 62, 63, 65, 67, 65, 63, 62))])
    return State(Meta(bpm=90, key="Cm", genre="lo-fi", bars=2, seed=7), (melody,))


def plan_of(text: str, state: State) -> list[str]:
    return [a.describe() for a in parse(text, state)]


def refusal(text: str, state: State) -> CommandNotUnderstood:
    with pytest.raises(CommandNotUnderstood) as info:
        parse(text, state)
    return info.value


@pytest.mark.parametrize("text", [
    "harmonize my melody", "harmonise the melody", "add chords under my melody", "put chords to my tune",
    "write chords for my melody", "add some chords that fit my melody", "can you harmonize my tune",
    "reharmonise my melody please", "give me chords that go with my melody",
])
def test_ways_of_asking_for_chords_that_fit_a_melody(text, tune):
    assert plan_of(text, tune) == ["harmony.add(chords, role=chords)", "harmony.chords(chords, melody=tune)"]


def test_harmonizing_with_chords_there_refits_them_and_a_new_part_names_its_sound(band, tune):
    assert plan_of("harmonize the melody", band) == ["harmony.chords(chords, melody=melody)"]
    assert plan_of("harmonize my melody with organ chords", tune) == [
        "harmony.add(chords, instrument=organ, role=chords)", "harmony.chords(chords, melody=tune)"]
    assert plan_of("add jazzy chords under my melody", tune)[0] == "harmony.add(chords, role=chords, style=jazz)"
    assert plan_of("harmonize bars 1 to 2 of my melody", band) == ["harmony.chords(chords, melody=melody) @ bars 1-2"]


def test_my_melody_is_the_users_own_where_a_generated_one_plays_too(band, tune):
    both = State(band.meta, (*band.stems, tune.stem("tune")))
    assert plan_of("harmonize my melody", both) == ["harmony.chords(chords, melody=tune)"]
    assert [(m.role, m.own, m.definite) for f in frames("continue my melody") for m in f.mentions] == [
        ("melody", True, True)]


@pytest.mark.parametrize(("text", "plan"), [
    ("continue my melody for 8 bars", ["arrange.bars(bars=10)", "melody.extend(tune, bars=8, from_bar=3)"]),
    ("carry on the tune for another 4 bars", ["arrange.bars(bars=6)", "melody.extend(tune, bars=4, from_bar=3)"]),
    ("extend my melody by 2 bars", ["arrange.bars(bars=4)", "melody.extend(tune, bars=2, from_bar=3)"]),
    ("continue my melody", ["arrange.bars(bars=4)", "melody.extend(tune, bars=2, from_bar=3)"]),  # as long again
])
def test_continuing_a_melody_lengthens_the_song_first(text, plan, tune):
    assert plan_of(text, tune) == plan


def test_continuing_inside_the_song_keeps_its_length(band):
    assert plan_of("continue the melody over bars 3 to 4", band) == ["melody.extend(melody, bars=2, from_bar=3)"]


def test_a_new_part_follows_or_fits_the_part_named(band):
    bare = State(band.meta, tuple(s for s in band.stems if s.role in ("chords", "melody")))
    assert plan_of("add a bass line that follows my chords", bare) == ["bass.add(bass, role=bass)"]
    kit = State(band.meta, tuple(s for s in band.stems if s.role == "bass"))
    assert plan_of("add drums that fit my bass", kit) == ["drums.add(drums, fit_bass=True, role=drums)"]
    assert plan_of("make the drums fit the bass", band) == ["drums.change(drums, fit_bass=True)"]
    assert plan_of("make the bass follow the chords", band) == ["bass.refit(bass)"]  # as it always did


@pytest.mark.parametrize(("text", "missing"), [
    ("harmonize my melody", "no melody"), ("harmonise the melody", "no melody"),
    ("add chords under my melody", "no melody"), ("put chords to my tune", "no melody"),
    ("continue my melody for 8 bars", "no melody"), ("add a bass line that follows my chords", "no chords"),
    ("add drums that fit my bass", "no bass"), ("add a pad under the chords", "no chords"),
])
def test_a_part_to_follow_that_is_not_there_is_never_made_up(text, missing):
    empty = State(Meta(bpm=90, key="Cm", genre="lo-fi", seed=7))
    error = refusal(text, empty)
    assert missing in error.reason and "import" in error.reason
    assert error.understood


def test_what_cannot_be_fitted_or_continued_is_refused_by_name(band, tune):
    assert "not something the agents write" in refusal("add a melody that follows my bass",
                                                       State(band.meta, (band.stem("bass"),))).reason
    assert "drums part" in refusal("continue the drums for 8 bars", band).reason
    assert "which part" in refusal("harmonize", State(band.meta, (band.stem("melody"), tune.stem("tune").evolve(
        agent="melody")))).reason
