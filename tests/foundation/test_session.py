import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestria_lab import Session
from orchestria_lab.errors import InvalidValue, NotFound
from orchestria_lab.state import Edit, Effect, Note, Stem

# Tests marked ``backends`` check the store's contract: they run on SQLite and on PostgreSQL.


def add_stem(stem_id, role="chords", n=4, **kw):
    notes = [Note(60 + i, float(i), 1.0, 90) for i in range(n)]
    return Edit(add=[Stem(stem_id, role=role, instrument="piano", notes=notes, **kw)], summary=f"add {stem_id}")


@pytest.mark.backends
def test_new_session_is_version_zero_and_validated(store):
    s = Session.create(bpm=92.5, key="E flat major", genre="Chillhop", seed=3, store=store)
    assert (s.version, s.bpm, s.key, s.genre, s.bars, s.time_signature) == (0, 92.5, "Eb", "lo-fi", 8, "4/4")
    assert s.stems.empty and list(s.stems.columns) == [
        "stem_id", "name", "role", "instrument", "agent", "effects", "level_db", "gain_db", "loudness_lufs", "pan",
        "muted", "solo", "hash", "notes_hash", "stale"]
    assert list(s.notes.columns) == ["stem_id", "pitch", "start", "duration", "velocity"]
    assert s.versions.loc[0, "command"] == "create session"
    with pytest.raises(InvalidValue, match="20 to 300"):
        Session.create(bpm=10, key="C", genre="pop", store=store)
    assert store.stats()["sessions"] == 1  # the rejected session left nothing behind


@pytest.mark.backends
def test_commit_diff_rollback_and_history(session):
    session.commit(add_stem("chords"), command="add chords", agents=("harmony",))
    session.commit(lambda st, rng: Edit(update=[st.stem("chords").evolve(gain_db=-6.0)]),
                   command="quieter chords", agents=("mix",))
    session.commit(add_stem("bass", role="bass"), command="add bass")
    assert session.version == 3
    d = session.diff(1, 2)
    assert d[["stem_id", "what", "field", "before", "after"]].values.tolist() == [
        ["chords", "changed", "gain_db", 0.0, -6.0]]
    assert session.diff(2, 2).empty
    rec = session.rollback(1)
    assert (rec.version, rec.parent, rec.agents) == (4, 1, ("history",))
    pd.testing.assert_frame_equal(session.stems, session.at(1).stems)
    pd.testing.assert_frame_equal(session.notes, session.at(1).notes)
    assert session.versions["version"].tolist() == [0, 1, 2, 3, 4]
    assert session.versions["summary"].tolist()[1] == "add chords"
    assert "chords: gain_db 0 → -6" in session.versions["summary"].tolist()[2]
    with pytest.raises(InvalidValue, match="from 0 to 4"):
        session.at(9)


@pytest.mark.backends
def test_reopen_in_another_object_gives_identical_tables(session, store):
    session.commit(add_stem("chords", effects=[Effect("reverb", {"mix": 0.3})]), command="c")
    again = Session.open(session.id, store=store)
    pd.testing.assert_frame_equal(again.stems, session.stems)
    pd.testing.assert_frame_equal(again.notes, session.notes)
    pd.testing.assert_frame_equal(again.versions, session.versions)
    assert again.meta == session.meta
    with pytest.raises(NotFound, match="No session"):
        Session.open("ses_0000000000000000", store=store)
    with pytest.raises(NotFound):
        Session.open("../../etc/passwd", store=store)


@pytest.mark.backends
def test_unchanged_stems_are_stored_once(session, store):
    session.commit(add_stem("chords", n=64), command="c")
    session.commit(add_stem("bass", role="bass", n=64), command="b")
    for i in range(20):
        session.commit(lambda st, rng, i=i: Edit(update=[st.stem("bass").evolve(gain_db=-float(i))]),
                       command=f"gain {i}")
    # 2 stems first stored, then 20 bass variants (one is a repeat of gain 0): chords stored once.
    assert store.stats()["stems"] == 2 + 19
    assert store.stats()["versions"] == 23


def test_seeds_are_recorded_and_builds_are_deterministic(store):
    draws = []
    for _ in range(2):
        s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=11, store=store)
        s.commit(lambda st, rng: draws.append(rng.integers(0, 1 << 30, 4).tolist()) or Edit(), command="x")
    assert draws[0] == draws[1]
    assert s.record(1).seed != s.record(0).seed


ops = st.lists(st.tuples(st.sampled_from(["add", "gain", "remove", "rollback", "meta"]),
                         st.integers(0, 50)), min_size=1, max_size=12)


@pytest.mark.backends
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
def test_history_invariants(store, operations):
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=1, store=store)
    for op, n in operations:
        if op == "add":
            s.commit(lambda st, rng, n=n: add_stem(st.new_stem_id("chords"), n=n % 5 + 1), command=op)
        elif op == "gain" and s.state.stems:
            s.commit(lambda st, rng, n=n: Edit(update=[st.stems[n % len(st.stems)].evolve(gain_db=-n / 4)]), command=op)
        elif op == "remove" and s.state.stems:
            s.commit(lambda st, rng, n=n: Edit(remove=[st.stems[n % len(st.stems)].stem_id]), command=op)
        elif op == "meta":
            s.commit(Edit(meta={"bpm": 60 + n, "bars": n % 16 + 1}), command=op)
        elif op == "rollback":
            target = n % (s.version + 1)
            before = s.at(target)
            s.rollback(target)
            pd.testing.assert_frame_equal(s.stems, before.stems)
            pd.testing.assert_frame_equal(s.notes, before.notes)
            assert s.meta == before.meta
    assert s.versions["version"].tolist() == list(range(s.version + 1))  # contiguous
    reopened = Session.open(s.id, store=store)
    for v in range(s.version + 1):
        assert s.diff(v, v).empty
        pd.testing.assert_frame_equal(reopened.at(v).stems, s.at(v).stems)
        pd.testing.assert_frame_equal(reopened.at(v).notes, s.at(v).notes)


def test_version_view_is_read_only(session):
    session.commit(add_stem("chords"), command="c")
    view = session.at(0)
    assert view.version == 0 and view.stems.empty
    with pytest.raises(AttributeError):
        view.bpm = 100
    assert json.dumps(view.meta)  # plain data


def test_diff_reports_note_changes(session):
    session.commit(add_stem("chords", n=4), command="c")
    session.commit(lambda st, rng: Edit(update=[st.stem("chords").evolve(
        notes=[*st.stem("chords").notes[:2], Note(70, 3, 1, 90)])]), command="edit notes")
    row = session.diff(1, 2).iloc[0]
    assert (row.field, row.before, row.after, row.notes_added, row.notes_removed) == ("notes", 4, 3, 1, 2)
    assert np.isfinite(session.diff(0, 2)["notes_added"].sum())


@pytest.mark.backends
def test_a_version_another_writer_made_can_be_read_and_rolled_back_to(store):
    """A rollback racing another process: the version it names was made after this object last looked."""
    first = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=1, store=store)
    first.command("add warm piano chords")
    other = Session.open(first.id, store=store)
    other.command("add an 808 bass line")  # v2, made by the other writer
    assert sorted(first.state_at(2).stems_table()["role"]) == ["bass", "chords"]
    record = first.rollback(2)
    assert record.version == 3 and sorted(first.stems["role"]) == ["bass", "chords"]
    with pytest.raises(InvalidValue, match="from 0 to 3"):
        first.rollback(7)
