"""Variations ranked by a critic (issue 15, item 3): "give me 4 variations of the melody" makes one
version that plays the best of 4 takes and keeps the others; "take the second one" or
``session.choose(2)`` makes that take the next version. On both store backends, after reopening and
after ``orchestria db copy``."""

from __future__ import annotations

import sqlite3

import pytest

from orchestria_lab import Session
from orchestria_lab.errors import CommandNotUnderstood, InvalidValue
from orchestria_lab.eval.critic import critique
from orchestria_lab.eval.metrics import in_scale_ratio
from orchestria_lab.music.theory import parse_key
from orchestria_lab.session.store import SCHEMA_VERSION, SQLiteStore, open_store
from orchestria_lab.session.transfer import copy_sessions
from orchestria_lab.state import Meta, Note, State, Stem


def song(store, *, seed: int = 11) -> Session:
    s = Session.create(bpm=100, key="C", genre="pop", bars=8, seed=seed, store=store)
    s.command("add piano chords and a melody")
    return s


def hashes(state: State) -> list[str]:
    return [s.hash for s in state.stems]


@pytest.fixture
def varied(tmp_path):
    s = song(SQLiteStore(tmp_path / "v.db"))
    return s, s.command("give me 4 variations of the melody")


def test_four_variations_are_distinct_ranked_and_the_version_plays_the_best(varied):
    s, result = varied
    table = result.candidates
    assert result.version == s.version == 2 and len(s.records) == 3  # one version for four takes
    assert table["candidate"].tolist() == [1, 2, 3, 4] and table["chosen"].tolist() == [True, False, False, False]
    assert table["score"].is_monotonic_decreasing and table["score"].notna().all()
    melodies = {s.candidate_state(n).stem("melody").notes_hash for n in range(1, 5)}
    assert len(melodies) == 4  # four different takes of the melody
    assert len(set(table["seed"])) == 4
    assert hashes(s.state) == table.loc[0, "stems"]  # the version is take 1, the best
    assert s.state.stem("chords") == s.state_at(1).stem("chords")  # the other parts as they were
    # each take is scored by the critic: the model's likelihood of a melody and the metrics
    assert table[["likelihood", "in_key", "chord_tones", "repetition", "range", "fit"]].notna().all().all()
    assert s.versions.iloc[-1][["candidate", "score"]].tolist() == [1, pytest.approx(table.loc[0, "score"])]
    assert "4 takes of melody" in result.message


def test_the_score_table_says_where_there_is_no_likelihood(tmp_path):
    s = Session.create(bpm=100, key="C", genre="pop", bars=8, seed=3, store=SQLiteStore(tmp_path / "d.db"))
    s.command("add a drum beat")
    table = s.command("give me 3 variations of the drums").candidates
    assert table["likelihood"].isna().all() and table["score"].notna().all()
    assert table["note"].str.contains("no learned likelihood of drum parts").all()


def test_choosing_makes_one_version_with_the_candidates_stored_stems(varied):
    s, result = varied
    before = len(s.records)
    chosen = s.command("take the second one")
    assert chosen.version == before and len(s.records) == before + 1
    record = s.records[-1]
    assert record.kind == "choose" and record.details["chose"] == 2 and record.details["from_version"] == 2
    assert hashes(s.state) == result.candidates.loc[1, "stems"]
    assert s.versions.iloc[-1][["kind", "candidate"]].tolist() == ["choose", 2]
    # another choice picks from the same variations, and undo goes back to what played before
    third = s.choose(3)
    assert hashes(s.state) == result.candidates.loc[2, "stems"] and third.version == before + 1
    s.command("undo")
    assert hashes(s.state) == result.candidates.loc[1, "stems"]


@pytest.mark.parametrize("text,candidate", [("the 2nd take", 2), ("candidate 3", 3), ("go with the last one", 4),
                                            ("I like the third one best", 3), ("pick the fourth", 4)])
def test_choices_in_words(varied, text, candidate):
    s, result = varied
    s.command(text)
    assert s.records[-1].details["chose"] == candidate
    assert hashes(s.state) == result.candidates.loc[candidate - 1, "stems"]


def test_bad_counts_and_choices_are_refused_and_make_no_version(varied, tmp_path):
    s, _ = varied
    head = s.version
    for text in ("give me 9 variations of the melody", "give me 1 variation of the melody",
                 "write me twelve versions of the melody"):
        with pytest.raises(CommandNotUnderstood, match="from 2 to 8 takes"):
            s.command(text)
    with pytest.raises(InvalidValue, match="from 1 to 4"):
        s.choose(5)
    with pytest.raises(InvalidValue, match="from 1 to 4"):
        s.command("take candidate 7")
    with pytest.raises(CommandNotUnderstood, match="is what plays now"):
        s.choose(1)  # take 1 is what plays
    with pytest.raises(CommandNotUnderstood, match="no bass"):
        s.command("give me 3 variations of the bass")
    assert s.version == head
    fresh = song(SQLiteStore(tmp_path / "f.db"))
    with pytest.raises(InvalidValue, match="variations command"):
        fresh.command("take the second one")
    with pytest.raises(InvalidValue, match="none in this session"):
        fresh.candidates(1)
    assert fresh.version == 1


@pytest.mark.backends
def test_candidates_are_kept_across_a_reopen(store):
    s = song(store)
    table = s.command("give me 3 variations of the melody").candidates
    again = Session.open(s.id, store=store)
    assert again.candidates().drop(columns="stems").equals(table.drop(columns="stems"))
    for n in (1, 2, 3):
        assert hashes(again.candidate_state(n)) == table.loc[n - 1, "stems"]
    again.choose(3)
    assert hashes(Session.open(s.id, store=store).state) == table.loc[2, "stems"]
    assert again.render_candidate(2, loop=False).shape[0] == 2


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_db_copy_keeps_the_candidates_and_their_stems(tmp_path, target, request):
    here = f"sqlite:///{tmp_path / 'a.db'}"
    there = f"sqlite:///{tmp_path / 'b.db'}" if target == "sqlite" else request.getfixturevalue("postgres_url")
    s = song(open_store(here))
    table = s.command("give me 3 variations of the melody").candidates
    copy_sessions(here, there)
    copied = Session.open(s.id, store=open_store(there))
    assert copied.candidates()["stems"].tolist() == table["stems"].tolist()
    assert hashes(copied.candidate_state(3)) == table.loc[2, "stems"]


def test_a_schema_2_store_is_migrated_to_details(tmp_path):
    path = tmp_path / "old.db"
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=1, store=SQLiteStore(path))
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE versions DROP COLUMN details")
    db.execute("UPDATE schema_info SET version = 2")
    db.commit()
    db.close()
    store = SQLiteStore(path, migrate=False)
    assert store.migrate() == (2, SCHEMA_VERSION) and store.migrate() == (SCHEMA_VERSION, SCHEMA_VERSION)
    assert Session.open(s.id, store=store).records[0].details is None


def test_the_critic_ranks_an_out_of_key_take_below_an_in_key_one():
    meta = Meta(bpm=100, key="C", genre="pop", bars=4)
    line = [60, 62, 64, 65, 67, 65, 64, 62] * 2
    chords = Stem("chords", role="chords", instrument="piano", agent="harmony")
    in_key = Stem("melody", role="melody", instrument="piano", agent="melody",
                  notes=[Note(p, i, 1, 90) for i, p in enumerate(line)])
    out_of_key = in_key.evolve(notes=[Note(p + 6, n.start, 1, 90) for p, n in zip(line, in_key.notes, strict=True)])
    key = parse_key("C")
    assert in_scale_ratio(in_key.notes, key) == 1.0 and in_scale_ratio(out_of_key.notes, key) < 0.5
    table = critique([State(meta, (chords, out_of_key)), State(meta, (chords, in_key))], "melody")
    assert table.loc[1, "total"] > table.loc[0, "total"] and table.loc[1, "in_key"] > table.loc[0, "in_key"]
    assert table["likelihood"].notna().all()  # a melody checkpoint ships
    assert table.loc[1, "likelihood"] > table.loc[0, "likelihood"]


def test_a_dry_run_of_variations_makes_no_version(varied):
    s, _ = varied
    head, records = s.version, len(s.records)
    result = s.command("give me 2 variations of the melody", dry_run=True)
    assert result.dry_run and result.version == head and len(s.refresh().records) == records
    assert result.message.startswith("dry run: 2 takes of melody")
