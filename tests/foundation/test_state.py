import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestria_lab.errors import EditError, InvalidValue
from orchestria_lab.state import Edit, Effect, Meta, Note, State, Stem, apply, state_from_dict


def meta(**kw):
    return Meta(**{"bpm": 90, "key": "Cm", "genre": "lo-fi", **kw})


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [("bpm", 19, "20 to 300"), ("bpm", 301, "20 to 300"), ("bpm", True, "20 to 300"),
     ("bars", 0, "1 to 256"), ("bars", 257, "1 to 256"), ("bars", 2.5, "whole number"),
     ("time_signature", "4/3", "n/d"), ("sample_rate", 12345, "44100"), ("seed", -1, "whole number")],
)
def test_meta_rejects_bad_values_at_the_door(field, value, expected):
    with pytest.raises(InvalidValue, match=expected):
        meta(**{field: value})


def test_stem_validates_notes_and_mix():
    with pytest.raises(InvalidValue, match="0 to 127"):
        Stem("x", role="bass", instrument="sub_bass", notes=[Note(128, 0, 1, 100)])
    with pytest.raises(InvalidValue, match="> 0"):
        Stem("x", role="bass", instrument="sub_bass", notes=[Note(40, 0, 0, 100)])
    with pytest.raises(InvalidValue, match="one of drums"):
        Stem("x", role="kazoo", instrument="sub_bass")
    with pytest.raises(InvalidValue, match="-1 \\(left\\) to 1"):
        Stem("x", role="bass", instrument="sub_bass", pan=2)


def test_hash_covers_what_defines_a_stem_and_notes_hash_only_notes():
    base = Stem("chords", role="chords", instrument="piano", notes=[Note(60, 0, 1, 90)])
    assert base.evolve(gain_db=-3).hash != base.hash
    assert base.evolve(gain_db=-3).notes_hash == base.notes_hash
    assert base.evolve(effects=[Effect("reverb")]).hash != base.hash
    assert base.evolve(tone={"brightness": 0.2}).hash != base.hash
    assert base.evolve(notes=[Note(61, 0, 1, 90)]).notes_hash != base.notes_hash
    # The same content gives the same hash, whatever order the notes were given in.
    a = Stem("s", role="bass", instrument="sub_bass", notes=[Note(40, 1, 1, 90), Note(36, 0, 1, 90)])
    b = Stem("s", role="bass", instrument="sub_bass", notes=[Note(36, 0, 1, 90), Note(40, 1, 1, 90)])
    assert a.hash == b.hash


def test_edit_errors_name_what_exists():
    state = State(meta(), (Stem("bass", role="bass", instrument="sub_bass"),))
    with pytest.raises(EditError, match="use State.new_stem_id"):
        apply(state, Edit(add=[Stem("bass", role="bass", instrument="sub_bass")]))
    with pytest.raises(EditError, match=r"stems: \['bass'\]"):
        apply(state, Edit(remove=["drums"]))
    with pytest.raises(EditError, match="Unknown meta"):
        apply(state, Edit(meta={"tempo": 100}))
    with pytest.raises(InvalidValue, match="20 to 300"):
        apply(state, Edit(meta={"bpm": 1000}))
    assert state.new_stem_id("bass") == "bass-2" and state.new_stem_id("drums") == "drums"


notes_st = st.lists(
    st.builds(Note, st.integers(0, 127), st.floats(0, 64, allow_nan=False),
              st.floats(0.01, 8, allow_nan=False), st.integers(1, 127)),
    max_size=20,
)
stems_st = st.lists(
    st.builds(lambda i, role, notes, gain, pan, muted: Stem(
        f"s{i}", role=role, instrument="piano", notes=notes, gain_db=gain, pan=pan, muted=muted),
        st.integers(0, 5), st.sampled_from(["chords", "bass", "melody", "pad"]), notes_st,
        st.floats(-24, 6), st.floats(-1, 1), st.booleans()),
    max_size=4, unique_by=lambda s: s.stem_id,
)


@given(stems_st, stems_st)
def test_apply_is_pure_and_round_trips_through_dicts(before, extra):
    state = State(meta(), tuple(before))
    snapshot = state.to_dict()
    present = {s.stem_id for s in before}
    edit = Edit(
        add=[s.evolve(stem_id=s.stem_id + "x") for s in extra if s.stem_id + "x" not in present],
        remove=[s.stem_id for s in before[:1]],
        update=[s.evolve(gain_db=-1.0) for s in before[1:2]],
        meta={"bpm": 120},
    )
    new = apply(state, edit)
    assert state.to_dict() == snapshot  # input untouched
    assert state_from_dict(new.to_dict()) == new
    assert new.meta.bpm == 120
    assert [s.stem_id for s in new.stems][: max(len(before) - 1, 0)] == [s.stem_id for s in before[1:]]
