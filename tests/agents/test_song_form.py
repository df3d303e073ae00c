"""Song form and musical time (issue 13): written chords, form, tempo map, key changes, automation.

The frozen suite (tests/language/trust/form.jsonl) judges the commands; these tests hold what
it does not reach: the data at each layer, MIDI and REST, and outside judges on exported songs.
"""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest

from orchestria_lab.audio.render import render_mix, render_stem
from orchestria_lab.errors import CommandNotUnderstood, InvalidValue
from orchestria_lab.music.arrangement import layout
from orchestria_lab.music.automation import Point
from orchestria_lab.music.chords import parse_roman, parse_symbol
from orchestria_lab.music.midi import write_midi
from orchestria_lab.music.tempo import TempoChange
from orchestria_lab.session import Session
from orchestria_lab.state import Meta, Note, State, Stem

SETUP = ["add warm piano chords", "add a boom bap drum beat", "add an 808 bass line", "add a melody on electric piano"]


@pytest.fixture()
def song(store):
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, store=store, sample_rate=22050)
    for text in SETUP:
        s.command(text)
    return s


def _bar_db(state: State, audio: np.ndarray, first: int, last: int) -> float:
    sr, beats = state.meta.sample_rate, state.meta.beats_per_bar
    a, b = (int(state.meta.seconds(x * beats) * sr) for x in (first - 1, last))
    return float(10 * np.log10(np.mean(audio[:, a:b] ** 2) + 1e-12))


# written chords ---------------------------------------------------------------------------
@pytest.mark.parametrize("symbol", ["Am", "F", "Cmaj7", "Dm7", "G7", "F/A", "Bb", "F#m7b5", "Bdim", "Dsus4", "G9",
                                    "D/F#", "Ebmaj7", "Am6", "E5"])
def test_chord_symbols_name_the_pitch_classes_music21_reads(symbol):
    from music21 import harmony

    written = symbol.replace("b", "-") if len(symbol) > 1 and symbol[1] == "b" else symbol
    assert set(parse_symbol(symbol).pitch_classes) == set(harmony.ChordSymbol(written).pitchClasses)


@pytest.mark.parametrize(("key", "m21"), [("C", "C"), ("Cm", "c"), ("Eb", "E-"), ("F#m", "f#")])
def test_roman_numerals_name_the_chords_music21_reads_in_the_key(key, m21):
    from music21 import roman

    for figure in ("i", "ii", "iii", "iv", "v", "vi", "vii", "I", "IV", "V", "VI", "VII", "V7", "ii7", "vii°7"):
        want = set(roman.RomanNumeral(figure.replace("°", "o"), m21).pitchClasses)
        assert set(parse_roman(figure, key=key).pitch_classes) == want, (key, figure)


def test_written_chords_are_played_exactly_and_mark_the_parts_over_the_old_ones_stale(song):
    result = song.command("play Am F C G/B")
    state = song.state
    chords = state.stem("chords")
    for bar, pcs in [(1, {9, 0, 4}), (2, {5, 9, 0}), (3, {0, 4, 7}), (4, {7, 11, 2}), (5, {9, 0, 4}), (8, {7, 11, 2})]:
        bar_notes = [n for n in chords.notes if (bar - 1) * 4 <= n.start < bar * 4]
        assert {n.pitch % 12 for n in bar_notes} == pcs
    for bar in (4, 8):  # G/B: the B under the voicing
        assert min(n.pitch for n in chords.notes if (bar - 1) * 4 <= n.start < bar * 4) % 12 == 11
    assert song.key == "Cm"  # the key stays unless asked
    assert dict(song.stems[["stem_id", "stale"]].values) == {"chords": False, "drums": False, "bass": True,
                                                             "melody": True}
    assert "stale" in result.message and "bass" in result.message
    song.command("make the bass follow the new chords")
    assert not song.stems.set_index("stem_id").loc["bass", "stale"]


def test_a_chord_that_cannot_be_read_is_named_and_makes_no_version(song):
    version = song.version
    with pytest.raises(CommandNotUnderstood, match="Fzz"):
        song.command("play Am Fzz C G")
    assert song.version == version


# form ---------------------------------------------------------------------------------------
def test_a_form_repeats_its_sections_note_for_note_and_lifts_the_chorus(song):
    verse_notes = {s.stem_id: s.notes for s in song.state.stems}
    song.command("arrange it as intro, verse, chorus, verse, chorus, outro")
    state = song.state
    assert list(song.sections["name"]) == ["intro", "verse", "chorus", "verse 2", "chorus 2", "outro"]
    sec = {s.name: s for s in state.meta.sections}
    for stem in state.stems:
        def part(name, stem=stem):
            lo = (sec[name].start_bar - 1) * 4
            return [n._replace(start=round(n.start - lo, 4)) for n in stem.notes if lo <= n.start < lo + sec[name].bars * 4]
        assert part("chorus") == part("chorus 2") and part("verse") == part("verse 2")
        heard = [(n.pitch, n.start, n.velocity) for n in part("verse")]  # the verse is the song's bars (a note
        assert heard == [(n.pitch, n.start, n.velocity) for n in verse_notes[stem.stem_id]]  # stops at its end)
    assert not [n for n in state.stem("drums").notes if n.start < 16]  # a lo-fi intro: the keys alone
    mix = render_mix(state, cache=False)
    assert _bar_db(state, mix, 13, 20) > _bar_db(state, mix, 5, 12) + 1.0  # the chorus sits higher


def test_layout_stretches_a_whole_form_and_repeats_a_pattern():
    assert [s.bars for s in layout(["intro", "verse", "chorus", "verse", "chorus"], total=68)] == [8, 16, 16, 16, 12]
    assert sum(s.bars for s in layout(["verse", "chorus"], total=68)) == 68
    with pytest.raises(InvalidValue, match="256"):
        layout(["verse"] * 40)


def test_inserting_a_section_moves_what_follows_with_its_automation(song):
    song.command("fade out the last 4 bars")
    before = song.state
    song.command("add a 4 bar intro")
    after = song.state
    for old in before.stems:
        moved = [n for n in after.stem(old.stem_id).notes if n.start >= 16]
        assert moved == [n._replace(start=round(n.start + 16, 4)) for n in old.notes]
        from orchestria_lab.music.automation import envelope

        lane = [p for p in after.stem(old.stem_id).automation if p.param == "gain_db"]
        was = [p for p in old.automation if p.param == "gain_db"]
        beats = np.arange(16.5, 48.0, 0.25)  # the lane plays on under the moved bars as it did
        assert np.allclose(envelope(lane, times=beats), envelope(was, times=beats - 16), atol=1e-3)
    assert after.meta.sections[0].name == "intro" and after.meta.bars == 12


# tempo and key -------------------------------------------------------------------------------
def test_a_tempo_change_is_heard_in_the_render_and_written_to_midi(song, tmp_path):
    song.command("make it 8 bars long")
    song.command("slow down to 60 bpm for the last 4 bars")
    state = song.state
    assert [c.to_dict() for c in state.meta.tempo_changes] == [{"bar": 5, "bpm": 60}]
    assert state.meta.duration_s == pytest.approx(16 * 60 / 90 + 16 * 60 / 60)
    assert render_mix(state, cache=False).shape[1] == round(state.meta.duration_s * state.meta.sample_rate)
    pm = pretty_midi.PrettyMIDI(str(write_midi(state, tmp_path / "song.mid")))
    times, tempi = pm.get_tempo_changes()
    assert list(tempi) == pytest.approx([90, 60], abs=1e-3) and times[1] == pytest.approx(16 * 60 / 90)
    starts = sorted({round(n.start, 3) for n in pm.instruments[0].notes})
    assert starts[-1] > 16 * 60 / 90  # the notes after the change sound at the slower tempo


def test_a_key_change_over_bars_moves_their_notes_and_is_written_to_midi(song, tmp_path):
    before = song.state
    song.command("modulate up a whole step for the last 4 bars")
    state = song.state
    assert state.meta.key_at(4) == "Cm" and state.meta.key_at(5) == "Dm"
    for old in before.stems:
        new = state.stem(old.stem_id)
        shift = 0 if old.is_drums else 2
        assert [n for n in new.notes if n.start < 16] == [n for n in old.notes if n.start < 16]
        assert sorted(n.pitch for n in new.notes if n.start >= 16) == sorted(
            n.pitch + shift for n in old.notes if n.start >= 16)
    pm = pretty_midi.PrettyMIDI(str(write_midi(state, tmp_path / "song.mid")))
    assert [k.key_number for k in pm.key_signature_changes] == [12, 14]  # C minor, then D minor


def test_outside_judges_hear_the_tempo_and_read_each_sections_key(song, tmp_path):
    """librosa hears the tempo of the exported mix; music21 reads the key of each section of the MIDI."""
    import librosa
    from music21 import converter

    song.command("arrange it as verse, chorus")
    song.command("modulate up a fourth for the chorus")
    state = song.state
    wav = tmp_path / "song.wav"
    song.export(wav)
    y, sr = librosa.load(str(wav), sr=None, mono=True)
    tempo = float(np.atleast_1d(librosa.beat.beat_track(y=y, sr=sr)[0])[0])
    assert min(abs(tempo - 90 * k) for k in (0.5, 1, 2)) < 6, tempo
    score = converter.parse(str(write_midi(state.__class__(state.meta, tuple(s for s in state.stems if not s.is_drums)),
                                           tmp_path / "song.mid")))
    for section in state.meta.sections:
        lo, hi = (section.start_bar - 1) * 4, section.last_bar * 4
        window = score.flatten().notes.getElementsByOffset(lo, hi - 0.001, includeEndBoundary=False)
        import music21

        part = music21.stream.Stream(list(window))
        found = part.analyze("key")
        want = state.meta.key_at(section.start_bar)
        assert found.tonic.pitchClass == pretty_midi.key_name_to_key_number(want.replace("m", " minor") if
                                                                              want.endswith("m") else want + " major") % 12


# automation ----------------------------------------------------------------------------------
def test_automation_is_rendered_into_the_stems_own_audio():
    lead = Stem("lead", role="lead", instrument="synth_lead", notes=[Note(60 + 12 * (b % 2), b, 1.0, 90) for b in range(16)],
                automation=[("gain_db", 0.0, -60.0), ("gain_db", 8.0, 0.0), ("lowpass_hz", 8.0, 300.0, "exp"),
                            ("lowpass_hz", 16.0, 7000.0)])
    state = State(Meta(bpm=120, key="C", genre="pop", bars=4, sample_rate=16000), (lead,))
    audio = render_stem(state, "lead", cache=False)
    assert _bar_db(state, audio, 1, 1) < _bar_db(state, audio, 3, 4) - 20  # faded in

    def highs(first_beat: float) -> float:  # the share of power above 1 kHz over one beat
        x = audio[0, int(first_beat * 8000):int((first_beat + 1) * 8000)]
        power, freqs = np.abs(np.fft.rfft(x)) ** 2, np.fft.rfftfreq(len(x), 1 / 16000)
        return float(power[freqs > 1000].sum() / power.sum())

    assert highs(8) < highs(15) / 4  # the filter opens


def test_automation_is_a_table_in_the_session_and_over_rest(song):
    song.command("sidechain the bass to the kick")
    table = song.automation
    assert list(table.columns) == ["stem_id", "param", "beat", "value", "curve"]
    assert set(table["stem_id"]) == {"bass"} and table["value"].min() <= -6
    kicks = [n.start for n in song.state.stem("drums").notes if n.pitch in (35, 36)]
    assert set(np.round(table.loc[table["value"] < 0, "beat"], 4)) == set(np.round(kicks, 4))


def test_bad_automation_and_tempo_changes_are_refused_with_what_would_be_valid():
    with pytest.raises(InvalidValue, match="gain_db, pan"):
        Stem("a", role="pad", instrument="pad", automation=[Point("volume", 0.0, 1.0)])
    with pytest.raises(InvalidValue, match="from -96 to 24"):
        Stem("a", role="pad", instrument="pad", automation=[Point("gain_db", 0.0, 99.0)])
    with pytest.raises(InvalidValue, match="20 to 300"):
        TempoChange(5, 500)


def test_a_lane_applied_span_by_span_is_its_envelope_sample_for_sample():
    """The renderer applies gain lanes a span at a time (a held level as one number); that is exactly
    the lane's value at every sample."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from orchestria_lab.audio.automate import scale_by_lane
    from orchestria_lab.audio.dsp import db_to_gain
    from orchestria_lab.music.automation import check_points, envelope

    point = st.tuples(st.integers(0, 40), st.floats(-60, 6), st.sampled_from(["linear", "step"]))

    @settings(max_examples=150, deadline=None)
    @given(st.lists(point, min_size=1, max_size=6, unique_by=lambda p: p[0]), st.integers(10, 400))
    def check(raw, n):
        lane = list(check_points([Point("gain_db", float(b), v, c) for b, v, c in raw]))
        at = np.round(np.array([p.beat for p in lane]) * 7.3)
        out = scale_by_lane(np.ones((1, n), np.float32), lane, at=at)[0]
        assert np.allclose(out, db_to_gain(envelope(lane, times=np.arange(n), beats=at)), rtol=1e-5, atol=1e-6)

    check()


def test_a_learned_model_continues_from_the_bars_before():
    """The melody and bass models are given the bars before an infill or an extension and play on from
    them: the tokens there are those bars' notes, and what follows is the model's."""
    from orchestria_lab.models import generate
    from orchestria_lab.music.progressions import progression
    from orchestria_lab.music.theory import parse_key

    assert generate.available("melody"), "the melody checkpoint ships in data/checkpoints"
    key = parse_key("Am")
    chords = progression(key=key, genre="pop", time_signature="4/4", bars=4, rng=np.random.default_rng(0))
    before = [Note(69, 0.0, 1.0, 90), Note(72, 1.0, 0.5, 90), Note(71, 2.0, 2.0, 90), Note(67, 5.0, 1.0, 90)]
    line = generate.melody(key=key, genre="pop", time_signature="4/4", bars=4, chords=chords, low=60, high=84,
                           rng=np.random.default_rng(3), primer=before, until=8.0)
    assert [(n.pitch, n.start, n.duration) for n in line if n.start < 8] == [(n.pitch, n.start, n.duration) for n in before]
    assert any(n.start >= 8 for n in line)  # and the model plays on after them


def test_lanes_compose_a_ducked_pad_keeps_its_sections_lift_and_ducks_through_a_fade(store):
    from orchestria_lab.music.automation import envelope

    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, store=store, sample_rate=22050)
    for text in ["add warm piano chords", "add a boom bap drum beat", "add a soft pad", "arrange it as verse, chorus",
                 "sidechain the pad to the kick", "fade out the last 4 bars"]:
        s.command(text)
    state = s.state
    lane = [p for p in state.stem("pad").automation if p.param == "gain_db"]
    kicks = sorted({n.start for n in state.stem("drums").notes if n.pitch in (35, 36)})
    chorus = [k for k in kicks if 32 + 1 <= k < 48]  # the chorus before the fade: +2.5 dB, dipping on each kick
    faded = [k for k in kicks if 52 <= k < 62]
    for k in chorus[:3]:
        just_before, on = envelope(lane, times=[k - 0.02, k])
        assert just_before == pytest.approx(2.5, abs=0.2) and on == pytest.approx(2.5 - 9, abs=0.2)
    for k in faded[:3]:  # still ducking, under the fade
        just_before, on = envelope(lane, times=[k - 0.02, k])
        assert on < just_before - 6 and just_before < 2.5 - 3
