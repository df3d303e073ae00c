"""The Studio, driven through its real widget objects: typed commands, buttons, toggles, sliders.

Each test changes a widget the way the browser would (set ``value``, ``click()`` a button, send
the ``submit`` message Enter sends) and checks the session: its versions and its state.
"""

from __future__ import annotations

import pytest

from orchestria_lab import Session
from orchestria_lab.agents.base import Action
from orchestria_lab.widgets import Studio
from orchestria_lab.widgets.studio import mix_command

CHORDS = "Add warm piano chords with reverb"
DRUMS = "add a boom bap drum beat"


@pytest.fixture
def small(store):
    """A short session (4 bars, 22.05 kHz) so that rendering stays quick."""
    return Session.create(bpm=90, key="Cm", genre="lo-fi", bars=4, sample_rate=22050, seed=7, store=store)


@pytest.fixture
def studio(small):
    return Studio(small)


def _stem_with_role(session, role):
    rows = session.stems[session.stems["role"] == role]
    assert len(rows) == 1, session.stems
    return rows.iloc[0]


def test_typing_a_command_and_pressing_run_makes_a_version(studio, small):
    studio.command_box.value = CHORDS
    studio.run_button.click()
    assert studio.last_error is None, studio.last_error
    assert small.version == 1
    assert small.versions.iloc[-1]["command"] == CHORDS
    chords = _stem_with_role(small, "chords")
    assert list(studio.stem_rows) == [chords["stem_id"]]
    assert studio.command_box.value == "", "the box empties once the command ran"
    assert studio.history.value == 1 and studio.history.options[0][1] == 1
    assert "Version 1" in studio.result.value and "harmony" in studio.result.value
    assert " · v1 · " in studio.header.value


def test_enter_in_the_command_box_runs_the_command(studio, small):
    studio.command_box.value = CHORDS
    # what the browser sends over the comm when Enter is pressed in the text box
    studio.command_box._handle_custom_msg({"event": "submit"}, [])
    assert small.version == 1
    assert studio.last_error is None


def test_agent_status_follows_the_conductors_events_while_a_command_runs(studio, small):
    seen = []
    studio.status.observe(lambda change: seen.append(change["new"]), "value")
    studio.run(DRUMS)
    working = [html for html in seen if "orchestria-agent-working" in html]
    assert working, "no status showed an agent at work"
    assert any('orchestria-agent-working" title="working">drums<' in html for html in working)
    assert "orchestria-agent-working" not in studio.status.value, "nobody is working afterwards"
    assert 'orchestria-agent-done" title="done">drums<' in studio.status.value, "who took part stays marked"
    assert 'title="idle">harmony<' in studio.status.value


def test_a_plan_is_shown_without_making_a_version(studio, small):
    studio.command_box.value = CHORDS
    studio.plan_button.click()
    assert small.version == 0
    assert "dry run" in studio.result.value and "<td>harmony</td>" in studio.result.value
    assert studio.command_box.value == CHORDS, "a dry run keeps the text to run it for real"


def test_text_not_understood_is_explained_with_suggestions_and_makes_no_version(studio, small):
    studio.command_box.value = "florp the gizmo sideways"
    studio.run_button.click()
    assert small.version == 0
    assert "Not understood" in studio.result.value and "Traceback" not in studio.result.value
    assert studio.suggestions.children, "suggestions are offered as buttons"
    first = studio.suggestions.children[0]
    first.click()
    assert studio.command_box.value == first.description


def test_an_empty_box_asks_for_words(studio, small):
    studio.run_button.click()
    assert small.version == 0 and "Type what you want" in studio.result.value


def test_a_mute_toggle_mutes_the_stem_in_exactly_one_new_version(studio, small):
    studio.run(DRUMS)
    drums = _stem_with_role(small, "drums")["stem_id"]
    before = small.version
    studio.stem_rows[drums].mute.value = True
    assert studio.last_error is None, studio.last_error
    assert small.version == before + 1
    assert bool(_stem_with_role(small, "drums")["muted"]) is True
    studio.stem_rows[drums].mute.value = False
    assert small.version == before + 2
    assert bool(_stem_with_role(small, "drums")["muted"]) is False


def test_solo_gain_and_pan_controls_each_make_one_version(studio, small):
    studio.run(CHORDS)
    studio.run(DRUMS)
    drums = _stem_with_role(small, "drums")["stem_id"]
    row = studio.stem_rows[drums]
    start = small.version
    row.solo.value = True
    row.gain.value = -6.0
    row.pan.value = -0.3
    assert studio.last_error is None, studio.last_error
    assert small.version == start + 3
    stem = _stem_with_role(small, "drums")
    assert bool(stem["solo"]) is True
    assert stem["gain_db"] == pytest.approx(-6.0)
    assert stem["pan"] == pytest.approx(-0.3)
    assert (row.gain.value, row.pan.value) == (pytest.approx(-6.0), pytest.approx(-0.3))


def test_a_refused_mix_change_puts_the_control_back(studio, small, monkeypatch):
    studio.run(DRUMS)
    drums = _stem_with_role(small, "drums")["stem_id"]
    # an action the mix agent's spec rejects: the conductor refuses the plan, makes no version
    monkeypatch.setattr("orchestria_lab.widgets.studio.mix_action", lambda sid, *a: Action("mix", "explode", sid))
    studio.stem_rows[drums].mute.value = True
    assert small.version == 1
    assert studio.stem_rows[drums].mute.value is False
    assert "Not understood" in studio.result.value and "explode" in studio.result.value


def test_the_rollback_button_restores_the_selected_version(studio, small):
    studio.run(CHORDS)
    studio.run(DRUMS)
    assert len(small.stems) == 2
    studio.history.value = 1
    assert "what version 1 changed" in studio.history_diff.value.lower()
    studio.rollback_button.click()
    assert studio.last_error is None, studio.last_error
    assert small.version == 3
    assert small.state.stems == small.state_at(1).stems
    assert small.versions.iloc[-1]["parent"] == 1
    assert list(studio.stem_rows) == list(small.stems["stem_id"])
    assert "Restored version 1 as version 3" in studio.result.value


def test_ab_listening_loads_both_versions_and_their_diff(studio, small):
    studio.run(CHORDS)
    studio.run(DRUMS)
    studio.ab_a.value, studio.ab_b.value = 1, 2
    studio.ab_button.click()
    assert studio.last_error is None, studio.last_error
    a, b = studio.player_a.value, studio.player_b.value
    assert a[:4] == b[:4] == b"RIFF" and a != b
    assert "<td>added</td>" in studio.ab_diff.value and "From version 1 to version 2" in studio.ab_diff.value


def test_stem_and_mix_players_render_on_demand(studio, small):
    studio.run(CHORDS)
    row = next(iter(studio.stem_rows.values()))
    assert row.player.value == b""
    row.listen.click()
    studio.mix_button.click()
    assert studio.last_error is None, studio.last_error
    assert row.player.value[:4] == b"RIFF" and studio.mix_player.value[:4] == b"RIFF"


def test_export_buttons_write_the_selected_version(studio, small, tmp_path):
    studio.run(CHORDS)
    studio.out_dir.value = str(tmp_path / "exports")
    studio.export_buttons["midi"].click()
    studio.export_buttons["wav"].click()
    assert studio.last_error is None, studio.last_error
    written = sorted(p.name for p in (tmp_path / "exports").iterdir())
    assert f"{small.id}_v1.mid" in written and f"{small.id}_v1.wav" in written
    assert "Wrote" in studio.export_log.value


def test_the_piano_roll_tab_draws_the_current_version(studio, small):
    studio.run(CHORDS)
    assert studio.roll.value == b"", "drawn only when its tab is shown"
    studio.tabs.selected_index = 1
    first = studio.roll.value
    assert first[:4] == b"\x89PNG"
    studio.run(DRUMS)
    assert studio.roll.value[:4] == b"\x89PNG" and studio.roll.value != first


def test_mix_commands_are_words_the_parser_understands(small):
    small.command(DRUMS)
    drums = _stem_with_role(small, "drums")["stem_id"]
    for field, value in (("muted", True), ("solo", True), ("gain_db", -4.5), ("pan", 0.25)):
        plan = small.command(mix_command(drums, field, value), dry_run=True).plan
        assert [a.agent for a in plan] == ["mix"], (field, plan)


def test_the_studio_is_part_of_the_curated_surface():
    import orchestria_lab

    assert orchestria_lab.Studio is Studio


def test_a_command_that_would_change_nothing_says_so_without_a_version(studio, small):
    studio.run(DRUMS)
    studio.run("unmute the drums")
    assert small.version == 1
    assert "Nothing to do" in studio.result.value and "Not understood" not in studio.result.value


def test_a_midi_file_uploaded_in_the_stems_tab_becomes_stems(studio, small):
    import io
    from datetime import datetime

    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=90)
    low = pretty_midi.Instrument(program=33, name="My bass")
    low.notes += [pretty_midi.Note(90, 40, b * 2 / 3, (b + 0.9) * 2 / 3) for b in range(8)]
    pm.instruments.append(low)
    buf = io.BytesIO()
    pm.write(buf)
    studio.upload.value = ({"name": "riff.mid", "type": "audio/midi", "size": len(buf.getvalue()),
                            "content": memoryview(buf.getvalue()),
                            "last_modified": datetime(2026, 1, 1)},)
    assert studio.last_error is None, studio.last_error
    assert small.version == 1 and "bass" in studio.result.value and "my-bass" in studio.stem_rows
    studio.import_files([{"name": "broken.mid", "content": memoryview(b"not midi")}])
    assert studio.last_error is not None and "not MIDI" in studio.status.value + studio.result.value
    assert small.version == 1


def test_the_mix_player_stays_hidden_until_asked_for(studio, small):
    studio.run(CHORDS)
    assert studio.mix_player.layout.display == "none" and studio.mix_player.value == b"", "no render nobody asked for"


def test_an_open_mix_player_follows_each_command_and_restore(studio, small):
    from orchestria_lab.widgets.display import wav_bytes

    studio.run(CHORDS)
    studio.mix_button.click()
    first = studio.mix_player.value
    assert first[:4] == b"RIFF" and studio.mix_player.layout.display is None
    studio.run(DRUMS)
    assert studio.last_error is None, studio.last_error
    assert studio.mix_player.layout.display is None, "the player stays on screen after a command"
    assert studio.mix_player.value == wav_bytes(small.render(), sr=small.meta["sample_rate"]) != first
    studio.history.value = 1
    studio.rollback_button.click()
    assert studio.mix_player.value == first, "a restored version sounds as it did"
    studio.ab_a.value, studio.ab_b.value = 1, 2
    studio.ab_button.click()
    assert studio.last_error is None, studio.last_error
    assert studio.player_a.value == first and studio.player_b.value not in (b"", first)


def test_a_mix_player_that_cannot_render_says_why_and_keeps_the_commands_result(studio, small, monkeypatch):
    studio.run(CHORDS)
    studio.mix_button.click()
    monkeypatch.setattr(type(small), "render", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no sound card")))
    studio.run(DRUMS)
    assert small.version == 2 and "Version 2" in studio.result.value
    assert "orchestria-error" in studio.result.value and "no sound card" in studio.result.value
    assert studio.mix_player.layout.display == "none"


def _fail_once(studio, small, monkeypatch):
    """Leave an error box on screen: an export that fails."""
    with monkeypatch.context() as m:
        m.setattr(type(small), "export", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
        studio.export_buttons["wav"].click()
    assert "orchestria-error" in studio.result.value and "disk full" in studio.result.value
    assert studio.last_error is not None


@pytest.mark.parametrize("action", ["command", "export", "rollback", "ab", "mix player", "stem player", "mute"])
def test_the_next_action_clears_the_last_error_box(studio, small, monkeypatch, tmp_path, action):
    studio.run(CHORDS)
    studio.out_dir.value = str(tmp_path / "exports")
    _fail_once(studio, small, monkeypatch)
    row = next(iter(studio.stem_rows.values()))
    {"command": lambda: studio.run(DRUMS), "export": studio.export_buttons["midi"].click,
     "rollback": studio.rollback_button.click, "ab": studio.ab_button.click, "mix player": studio.mix_button.click,
     "stem player": row.listen.click, "mute": lambda: setattr(row.mute, "value", True)}[action]()
    assert studio.last_error is None, studio.last_error
    assert "orchestria-error" not in studio.result.value, studio.result.value


def test_a_not_understood_box_and_its_suggestions_go_with_the_next_action(studio, small):
    studio.run("florp the gizmo sideways")
    assert studio.suggestions.children and "Not understood" in studio.result.value
    studio.run(CHORDS)
    assert studio.suggestions.children == () and "Not understood" not in studio.result.value
    assert "Version 1" in studio.result.value

