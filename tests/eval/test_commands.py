"""The command-suite checker: predicates on hand-made snapshots, suites that do not load, one case run."""

from __future__ import annotations

import json

import pytest

from orchestria_lab.errors import InvalidValue, OrchestriaError
from orchestria_lab.eval.commands import (
    SetupCache,
    check,
    load_suite,
    new_session,
    run_case,
    snapshot,
)


def stem(stem_id, role, *, effects=(), hash="h", notes_hash="n", muted=False, solo=False, gain_db=0.0):
    return {"stem_id": stem_id, "role": role, "instrument": "piano", "effects": [{"type": e} for e in effects],
            "hash": hash, "notes_hash": notes_hash, "muted": muted, "solo": solo, "gain_db": gain_db}


def snap(version, *stems, **meta):
    return {"version": version, "meta": {"bpm": 90, "key": "Cm", **meta}, "stems": list(stems)}


BEFORE = snap(2, stem("s1", "drums", hash="d1"), stem("s2", "chords", hash="c1"))


def test_a_refusal_holds_only_if_no_version_was_made():
    assert check({"rejected": True}, BEFORE, BEFORE, rejected=True)
    assert not check({"rejected": True}, BEFORE, {**BEFORE, "version": 3}, rejected=True)
    assert not check({"rejected": True}, BEFORE, BEFORE, rejected=False)


def test_a_refused_command_fails_every_other_predicate():
    assert not check({"stem": {"role": ["drums"]}}, BEFORE, BEFORE, rejected=True)
    assert check({"stem": {"role": ["drums"]}}, BEFORE, BEFORE, rejected=False)


def test_the_effect_must_be_on_a_stem_of_the_role_asked_for():
    after = snap(3, stem("s1", "drums"), stem("s2", "chords", effects=["reverb", "delay"]))
    assert check({"stem": {"role": ["chords"], "effect": "delay"}}, BEFORE, after, rejected=False)
    assert check({"stem": {"role": ["chords"], "effect": ["chorus", "delay"]}}, BEFORE, after, rejected=False)
    assert not check({"stem": {"role": ["drums"], "effect": "delay"}}, BEFORE, after, rejected=False)
    assert check({"stem": {"role": ["melody|chords"], "effect": "reverb"}}, BEFORE, after, rejected=False)


def test_only_changed_needs_a_change_and_keeps_the_other_roles():
    drums_changed = snap(3, stem("s1", "drums", hash="d2"), stem("s2", "chords", hash="c1"))
    both_changed = snap(3, stem("s1", "drums", hash="d2"), stem("s2", "chords", hash="c2"))
    assert check({"only_changed": ["drums"]}, BEFORE, drums_changed, rejected=False)
    assert not check({"only_changed": ["drums"]}, BEFORE, both_changed, rejected=False)
    assert not check({"only_changed": ["drums"]}, BEFORE, BEFORE, rejected=False)


def test_meta_keys_are_equal_when_enharmonic_and_changes_have_a_direction():
    after = snap(3, key="C#m", bpm=100)
    assert check({"meta": {"key": "Dbm", "bpm": [100, 110]}}, BEFORE, after, rejected=False)
    assert not check({"meta": {"key": "Db"}}, BEFORE, after, rejected=False)
    assert check({"changed_meta": {"field": "bpm", "direction": "up"}}, BEFORE, after, rejected=False)
    assert not check({"changed_meta": {"field": "bpm", "direction": "down"}}, BEFORE, after, rejected=False)


def test_what_you_hear_is_the_soloed_stems_if_any():
    after = snap(3, stem("s1", "drums", muted=True), stem("s2", "chords"), stem("s3", "bass", solo=True))
    assert check({"audible_only": ["bass"]}, BEFORE, after, rejected=False)
    unsoloed = snap(3, stem("s1", "drums", muted=True), stem("s2", "chords"), stem("s3", "bass"))
    assert check({"audible_only": ["chords", "bass"]}, BEFORE, unsoloed, rejected=False)


def test_an_unknown_predicate_lists_the_known_ones():
    with pytest.raises(InvalidValue, match="one of audible_only, changed_meta.*version_delta"):
        check({"stems": {"role": ["drums"]}}, BEFORE, BEFORE, rejected=False)


def test_a_bad_suite_line_is_named(tmp_path):
    good = {"id": "a", "setup": [], "text": "add drums", "expect": [{"stem": {"role": ["drums"]}}]}
    path = tmp_path / "suite.jsonl"
    path.write_text(json.dumps(good) + "\n\n" + json.dumps({**good, "id": "b", "expect": [{"stemm": {}}]}))
    with pytest.raises(InvalidValue, match=r"suite.jsonl:3 expect=\{'stemm'"):
        load_suite(path)
    path.write_text(json.dumps(good) + "\n" + json.dumps(good))
    with pytest.raises(InvalidValue, match="suite.jsonl:2 id='a'"):
        load_suite(path)


def test_a_case_run_reports_what_failed(store):
    case = {"id": "x", "setup": [], "text": "Add a boom bap drum beat",
            "expect": [{"stem": {"role": ["drums"]}}, {"no_stem": {"role": "drums"}}]}
    result = run_case(case, store=store)
    assert not result.passed and not result.rejected and "drums" in result.agents
    assert result.failed == [{"no_stem": {"role": "drums"}}]
    refused = run_case({"id": "r", "setup": [], "text": "undo the last change", "expect": [{"rejected": True}]},
                       store=store)
    assert refused.passed and refused.rejected and refused.agents == ()


def test_a_cached_setup_makes_the_same_session(store):
    cache, setup = SetupCache(), ["Add a boom bap drum beat", "add some delay to the drums"]
    made = new_session(setup, store=store, cache=cache)
    replayed = new_session(setup, store=store, cache=cache)
    assert len(cache) == 1 and replayed.id != made.id
    assert snapshot(replayed) == snapshot(made) and replayed.records == made.records


def _pair(store, setup, text):
    """Snapshots before and after ``text`` on a new session with ``setup``, and whether it was refused."""
    session = new_session(setup, store=store)
    before = snapshot(session)
    try:
        message, rejected = session.command(text).message, False
    except OrchestriaError as exc:
        message, rejected = str(exc), True
    return before, snapshot(session), rejected, message


def test_sound_predicates_measure_the_rendered_stem(store):
    before, after, rejected, _ = _pair(store, ["add piano chords"], "make the chords darker")
    assert not rejected
    assert check({"sound": {"role": "chords", "measure": "centroid", "direction": "down"}}, before, after,
                 rejected=False)
    assert not check({"sound": {"role": "chords", "measure": "centroid", "direction": "up"}}, before, after,
                     rejected=False)
    before, after, _, _ = _pair(store, ["add piano chords"], "turn the chords down 6 dB")
    assert check({"sound": {"role": "chords", "measure": "level", "direction": "down"}}, before, after,
                 rejected=False)
    assert not check({"sound": {"role": "bass", "measure": "level", "direction": "down"}}, before, after,
                     rejected=False)  # no such stem: nothing was heard to move


def test_safe_predicates_hold_on_a_refusal_and_either_and_message_combine(store):
    before, after, rejected, message = _pair(store, ["add piano chords"], "mute the drums")
    assert rejected
    for holds in ({"kept": ["chords"]}, {"unchanged_meta": ["bars", "bpm", "key"]}, {"rejected": True},
                  {"either": [{"muted": {"role": "drums", "value": True}}, {"rejected": True}]}):
        assert check(holds, before, after, rejected=True, message=message), holds
    assert not check({"stem": {"role": ["chords"]}}, before, after, rejected=True, message=message)
    assert check({"message": ["chords"]}, before, after, rejected=True, message=message)
    assert not check({"message": ["chords", "zebra"]}, before, after, rejected=True, message=message)


def test_note_and_effect_predicates(store):
    before, after, _, _ = _pair(store, ["add piano chords"], "put the chords up an octave")
    assert check({"changed_notes": {"role": "chords", "measure": "mean_pitch", "direction": "up"}}, before, after,
                 rejected=False)
    assert not check({"notes_kept_outside": {"role": "chords", "bars": [1, 4]}}, before, after, rejected=False)
    assert check({"notes_kept_outside": {"role": "chords", "bars": [1, 8]}}, before, after, rejected=False)
    before, after, _, _ = _pair(store, ["add piano chords with reverb"], "more reverb on the chords")
    assert check({"effect_param": {"role": "chords", "effect": "reverb", "param": "mix", "direction": "up"}},
                 before, after, rejected=False)
    assert not check({"kept": ["chords"]}, before, after, rejected=False)
