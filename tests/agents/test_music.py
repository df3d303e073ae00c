"""The generators make music: in key, on the chords, on the grid, in the meter, in range."""

from __future__ import annotations

import numpy as np
import pytest

from orchestria_lab.agents import Action, get_agent
from orchestria_lab.agents.context import current_chords, current_kicks, stem_range
from orchestria_lab.models.generate import available
from orchestria_lab.music.analysis import bass_root_agreement, grid_fit, harmonic_fit
from orchestria_lab.music.lines import melodic_tones
from orchestria_lab.music.rhythm import Meter, unswing
from orchestria_lab.music.theory import parse_key
from orchestria_lab.state import Meta, State, apply

SESSIONS = [("Cm", "lo-fi", "4/4"), ("C", "pop", "4/4"), ("Am", "house", "4/4"), ("E", "rock", "4/4"),
            ("F", "jazz", "4/4"), ("D dorian", "funk", "4/4"), ("Gm", "trap", "4/4"), ("Bb", "folk", "3/4"),
            ("F#m", "ambient", "6/8"), ("Eb", "latin", "7/8")]


def build(key="Cm", genre="lo-fi", ts="4/4", *, seed=0, bars=8, parts=("harmony", "drums", "bass", "melody"),
          backend="baseline") -> State:
    """A session made by the generators; the theory baseline unless ``backend`` says otherwise."""
    state = State(Meta(bpm=90, key=key, genre=genre, time_signature=ts, bars=bars, seed=seed))
    for i, agent in enumerate(parts):
        edit = get_agent(agent)(state, Action(agent, "add", params={"backend": backend}), np.random.default_rng([seed, i]))
        state = apply(state, edit)
    return state


@pytest.fixture(scope="module", params=SESSIONS, ids=lambda p: "-".join(p).replace("/", ""))
def session_state(request):
    key, genre, ts = request.param
    return build(key, genre, ts, seed=len(genre))


def test_chords_are_chord_tones_of_the_progression(session_state):
    chords = current_chords(session_state)
    stem = session_state.stem("chords")
    fit = harmonic_fit(stem.notes, chords, key=session_state.meta.key)
    assert fit.chord_tones == fit.total > 0


def test_melody_is_in_key_or_on_the_chord_with_chord_tones_on_strong_beats(session_state):
    meta = session_state.meta
    chords = current_chords(session_state)
    notes = session_state.stem("melody").notes
    fit = harmonic_fit(notes, chords, key=meta.key)
    assert fit.outside == 0, fit.outside_notes
    meter = Meter.of(meta.time_signature)
    swing = float(session_state.stem("melody").params.get("swing", 0.0))
    strong = [n for n in notes if meter.is_strong(round(unswing(n.start, swing) % meter.beats_per_bar, 4))]
    key = parse_key(meta.key)
    on_chord = [n for n in strong if n.pitch % 12 in melodic_tones(key, _chord_at(chords, n.start))]
    assert len(on_chord) >= 0.9 * len(strong)
    low, high = stem_range("melody", session_state.stem("melody").instrument)
    assert all(low <= n.pitch <= high for n in notes)


def test_melody_moves_mostly_by_step_and_leaps_are_rare(session_state):
    pitches = [n.pitch for n in session_state.stem("melody").notes]
    steps = np.abs(np.diff(pitches))
    assert np.mean(steps <= 2) >= 0.6
    assert np.mean(steps > 7) <= 0.1


def test_bass_plays_the_root_on_chord_changes_and_stays_in_key(session_state):
    chords = current_chords(session_state)
    bass = session_state.stem("bass").notes
    assert bass_root_agreement(bass, chords) >= 0.75
    fit = harmonic_fit(bass, chords, key=session_state.meta.key)
    assert fit.outside <= max(2, 0.15 * fit.total)  # chromatic approach notes, bounded
    for n in fit.outside_notes:  # each one leads by a half step into the next note
        following = [m for m in bass if m.start > n.start]
        assert following and abs(following[0].pitch - n.pitch) <= 2


def test_drums_sit_on_the_grid_of_the_meter(session_state):
    drums = session_state.stem("drums")
    meta = session_state.meta
    swing = float(drums.params.get("swing", get_agent("drums").default_swing(session_state, drums.params)))
    unit = 0.25 if drums.params.get("style") == "funk" or meta.genre == "funk" else 0.5
    assert grid_fit(drums.notes, swing_amount=swing, subdivision=unit) == 1.0
    assert all(0 <= n.start < meta.total_beats for n in drums.notes)
    bar = meta.beats_per_bar
    kicks_on_one = {int(n.start // bar) for n in drums.notes if n.pitch in (35, 36) and n.start % bar < 0.02}
    assert len(kicks_on_one) >= meta.bars - 1


def _chord_at(chords, beat):
    from orchestria_lab.music.progressions import chord_at

    return chord_at(chords, beat + 1e-3)


@pytest.mark.parametrize("genre, sevenths", [("lo-fi", True), ("jazz", True), ("rock", False), ("pop", False)])
def test_genre_harmony(genre, sevenths):
    state = build("C", genre, parts=("harmony",))
    chords = [c for _, _, c in current_chords(state)]
    if sevenths:
        assert all(len(c.intervals) >= 4 for c in chords)
    else:
        assert all(len(c.intervals) <= 3 for c in chords)


def test_lofi_progressions_use_ii_v_motion_across_seeds():
    found = False
    for seed in range(12):
        chords = [c for _, _, c in current_chords(build("C", "lo-fi", seed=seed, parts=("harmony",)))]
        roots = [c.root for c in chords]
        found |= any(a == 2 and b == 7 for a, b in zip(roots, roots[1:], strict=False))
    assert found


def test_house_chords_are_minor_sevenths_and_pop_is_the_i_v_vi_iv_family():
    house = [c for _, _, c in current_chords(build("Am", "house", parts=("harmony",)))]
    assert sum(c.quality == "m7" for c in house) >= 0.75 * len(house)
    for seed in range(6):
        pop = [c for _, _, c in current_chords(build("C", "pop", seed=seed, parts=("harmony",)))]
        assert {c.root for c in pop} <= {0, 7, 9, 5, 2, 4}


def test_voicings_move_smoothly():
    stem = build("Cm", "lo-fi", parts=("harmony",)).stem("chords")
    onsets = sorted({n.start for n in stem.notes})
    tops = [max(n.pitch for n in stem.notes if n.start == t) for t in onsets]
    assert np.mean(np.abs(np.diff(tops))) <= 4


def test_bass_locks_to_the_kick():
    state = build("Cm", "hip-hop")
    kicks = current_kicks(state)
    bass_onsets = {round(n.start, 2) for n in state.stem("bass").notes}
    assert sum(round(k, 2) in bass_onsets for k in kicks) >= 0.7 * len(kicks)


@pytest.mark.parametrize("style, voice, beats", [
    ("four_on_the_floor", 36, [0, 1, 2, 3]), ("rock", 38, [1, 3]), ("trap", 38, [2]), ("boom_bap", 38, [1, 3]),
])
def test_grooves_by_style(style, voice, beats):
    state = State(Meta(bpm=120, key="C", genre="pop", bars=2))
    stem = apply(state, get_agent("drums")(state, Action("drums", "add", params={"style": style, "swing": 0.0}),
                                           np.random.default_rng(1))).stem("drums")
    first_bar = sorted({round(n.start) for n in stem.notes if n.pitch == voice and n.start < 3.9 and abs(n.start - round(n.start)) < 0.02})
    assert first_bar == beats


def test_swing_delays_the_off_beats_and_velocities_are_humanised():
    state = build("Cm", "lo-fi", parts=("drums",))
    stem = state.stem("drums")
    swing = get_agent("drums").default_swing(state, stem.params)
    hats = [n for n in stem.notes if n.pitch == 42]
    offbeats = [n.start % 1 for n in hats if 0.4 < n.start % 1 < 0.8]
    assert offbeats and abs(np.median(offbeats) - (0.5 + swing / 6)) < 0.02
    assert np.std([n.velocity for n in hats]) > 2


def test_fills_close_each_four_bar_phrase():
    stem = build("Cm", "rock", parts=("drums",)).stem("drums")
    def busy(bar):
        return sum(1 for n in stem.notes if bar * 4 + 3 <= n.start < bar * 4 + 4 and n.pitch in (38, 41, 45, 47, 50))
    assert busy(3) >= 3 and busy(7) >= 3 and busy(1) <= 2


def test_changing_the_meter_remakes_every_part_in_it():
    state = build("Cm", "lo-fi")
    edit = get_agent("arrange")(state, Action("arrange", "time_signature", params={"time_signature": "3/4"}),
                                np.random.default_rng(0))
    waltz = apply(state, edit)
    assert waltz.meta.total_beats == 24
    for stem in waltz.stems:
        assert all(n.start < 24 for n in stem.notes), stem.stem_id
    kicks = {int(n.start // 3) for n in waltz.stem("drums").notes if n.pitch == 36 and n.start % 3 < 0.02}
    assert kicks == set(range(8))
    assert bass_root_agreement(waltz.stem("bass").notes, current_chords(waltz)) >= 0.75


def test_a_key_change_transposes_and_a_mode_change_stays_in_key():
    state = build("Cm", "lo-fi")
    up = apply(state, get_agent("arrange")(state, Action("arrange", "key", params={"key": "Dm"}), np.random.default_rng(0)))
    for a, b in zip(state.stem("melody").notes, up.stem("melody").notes, strict=True):
        assert b.pitch - a.pitch == 2
    assert up.stem("drums").notes == state.stem("drums").notes
    major = apply(state, get_agent("arrange")(state, Action("arrange", "key", params={"key": "C"}), np.random.default_rng(0)))
    for role in ("chords", "melody", "bass"):
        fit = harmonic_fit(major.stem(role).notes, current_chords(major), key=parse_key("C"))
        assert fit.outside <= 0.15 * fit.total, role


@pytest.mark.skipif(not all(available(n) for n in ("harmony", "melody", "bass", "drums")),
                    reason="no trained checkpoints ship in data/checkpoints: the model backend is not in use")
def test_the_model_backend_keeps_the_same_musical_contract():
    state = build("Cm", "lo-fi", backend="model")
    chords = current_chords(state)
    assert all(s.params["backend"] == "model" for s in state.stems)
    for role in ("melody", "bass"):
        fit = harmonic_fit(state.stem(role).notes, chords, key="Cm")
        assert fit.outside <= 0.15 * max(1, fit.total), role
    drums = state.stem("drums")
    swing_amount = get_agent("drums").default_swing(state, drums.params)  # lo-fi: swung 16ths
    assert grid_fit(drums.notes, swing_amount=swing_amount, subdivision=0.25) == 1.0


@pytest.mark.skipif(not all(available(n) for n in ("harmony", "melody", "bass")),
                    reason="no trained checkpoints ship in data/checkpoints: the model backend is not in use")
@pytest.mark.parametrize("role", ["melody", "bass"])
def test_density_asked_of_a_model_part_makes_it_busier(role):
    from orchestria_lab.state import Meta, State, apply

    state = State(Meta(bpm=90, key="Cm", genre="lo-fi", seed=3))
    state = apply(state, get_agent("harmony")(state, Action("harmony", "add"), np.random.default_rng(0)))
    counts = []
    for density in (0.1, 0.9):
        made = apply(state, get_agent(role)(state, Action(role, "add", params={"density": density}),
                                            np.random.default_rng(1))).stem(role)
        assert made.params["backend"] == "model"
        counts.append(len(made.notes))
    assert counts[1] > 1.4 * counts[0]
