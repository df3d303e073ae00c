"""The generation contract the agents call, on debug checkpoints: deterministic, constrained."""

from __future__ import annotations

import numpy as np
import pytest

from orchestria_lab.music.theory import parse_key
from orchestria_lab.music.vocabulary import GM_DRUMS
from orchestria_lab.state import Note


def _chords(gen, key="Am", meter="4/4", bars=8, seed=0):
    return gen.chords(key=parse_key(key), genre="pop", time_signature=meter, bars=bars, rng=np.random.default_rng(seed))


@pytest.mark.parametrize("meter,slot", [("4/4", 2.0), ("3/4", 3.0), ("6/8", 1.5)])
def test_chords_cover_every_bar_in_bar_or_half_bar_slots(debug_models, meter, slot):
    progression = _chords(debug_models, meter=meter, bars=5)
    starts = [s for s, _, _ in progression]
    assert starts == [i * slot for i in range(len(progression))]
    assert all(d == slot for _, d, _ in progression)
    assert progression[-1][0] + progression[-1][1] == pytest.approx(5 * {"4/4": 4, "3/4": 3, "6/8": 3}[meter])


@pytest.mark.parametrize("name", ["Eb", "F#m"])
def test_chords_are_made_of_the_key_s_notes(debug_models, name):
    key = parse_key(name)
    dominant = (key.tonic_pc + 7) % 12
    for seed in range(5):
        for _, _, chord in _chords(debug_models, key=name, seed=seed):
            in_key = set(chord.pitch_classes) <= set(key.scale)
            assert in_key or (key.is_minor and chord.root == dominant and chord.quality in ("", "7"))


def test_melodies_are_deterministic_differ_by_seed_and_stay_in_key_and_range(debug_models):
    key = parse_key("F#m")
    progression = _chords(debug_models, key="F#m")

    def line(seed):
        return debug_models.melody(key=key, genre="folk", time_signature="4/4", bars=8, chords=progression,
                                   low=62, high=81, rng=np.random.default_rng(seed))

    first = line(1)
    assert first == line(1) and first != line(2)
    assert first and all(isinstance(n, Note) for n in first)
    chord_pcs = {pc for _, _, c in progression for pc in c.pitch_classes}
    for n in first + line(3):
        assert 62 <= n.pitch <= 81
        assert n.pitch % 12 in set(key.scale) | chord_pcs
        assert (n.start * 4).is_integer() and n.start + n.duration <= 32


def test_melody_accepts_a_key_name_as_the_agents_pass_it(debug_models):
    progression = _chords(debug_models, key="C")
    a = debug_models.melody(key="C", genre="pop", time_signature="4/4", bars=2, chords=progression[:4],
                            low=60, high=84, rng=np.random.default_rng(0))
    b = debug_models.melody(key=parse_key("C"), genre="pop", time_signature="4/4", bars=2, chords=progression[:4],
                            low=60, high=84, rng=np.random.default_rng(0))
    assert a == b


def test_bass_stays_in_range_and_scale(debug_models):
    key = parse_key("Dm")
    progression = _chords(debug_models, key="Dm")
    notes = debug_models.bass(key=key, genre="rock", time_signature="4/4", bars=8, chords=progression,
                              kick_beats=[float(b) for b in range(0, 32, 2)], low=28, high=52,
                              rng=np.random.default_rng(4))
    chord_pcs = {pc for _, _, c in progression for pc in c.pitch_classes}
    assert notes and all(28 <= n.pitch <= 52 and n.pitch % 12 in set(key.scale) | chord_pcs for n in notes)
    changes = [start for i, (start, _, c) in enumerate(progression) if i == 0 or c != progression[i - 1][2]]
    assert set(changes) <= {n.start for n in notes}  # a new attack on every chord change


def test_a_range_that_leaves_no_note_is_an_error_that_says_so(debug_models):
    with pytest.raises(ValueError, match="pitch range"):
        debug_models.bass(key="C", genre="rock", time_signature="4/4", bars=1, chords=[], kick_beats=[],
                          low=60, high=50, rng=np.random.default_rng(0))


@pytest.mark.parametrize("meter", ["4/4", "6/8", "3/4"])
def test_drums_use_gm_numbers_on_the_grid_of_the_meter(debug_models, meter):
    notes = debug_models.drums(genre="house", time_signature=meter, bars=4, rng=np.random.default_rng(0))
    bar = {"4/4": 4, "6/8": 3, "3/4": 3}[meter]
    assert notes and {n.pitch for n in notes} <= set(GM_DRUMS.values())
    assert all((n.start * 4).is_integer() and 0 <= n.start < 4 * bar and 1 <= n.velocity <= 127 for n in notes)
    again = debug_models.drums(genre="house", time_signature=meter, bars=4, rng=np.random.default_rng(0))
    assert notes == again


def test_sampling_respects_temperature_and_top_p():
    from orchestria_lab.models.sampling import draw

    logits = np.log(np.array([0.6, 0.3, 0.1]))
    assert {draw(logits, u, temperature=1.0, top_p=0.5) for u in np.linspace(0, 0.999, 50)} == {0}
    assert {draw(logits, u, temperature=1.0, top_p=1.0) for u in np.linspace(0, 0.999, 50)} == {0, 1, 2}
    cold = [draw(logits, u, temperature=0.1, top_p=1.0) for u in np.linspace(0, 0.999, 50)]
    assert cold.count(0) >= 49


def test_availability_and_hashes(debug_models, tmp_path, monkeypatch):
    assert all(debug_models.available(n) for n in debug_models.GENERATORS)
    assert len(debug_models.checkpoint_hash("melody")) == 16
    assert not debug_models.available("vocals") and debug_models.checkpoint_hash("vocals") is None
    monkeypatch.setattr(debug_models, "CHECKPOINT_DIR", tmp_path)
    assert not debug_models.available("melody")
    with pytest.raises(LookupError, match="checkpoint"):
        debug_models.drums(genre="house", time_signature="4/4", bars=1, rng=np.random.default_rng(0))


def test_density_thins_or_fills_a_part(debug_models):
    progression = _chords(debug_models, key="C")

    def count(density):
        return sum(len(debug_models.melody(key="C", genre="pop", time_signature="4/4", bars=8, chords=progression,
                                           low=60, high=84, rng=np.random.default_rng(s), density=density))
                   for s in range(3))

    assert count(0.1) < count(0.5) < count(0.9)
    with pytest.raises(ValueError, match="density"):
        debug_models.drums(genre="rock", time_signature="4/4", bars=1, rng=np.random.default_rng(0), density=2.0)


def test_drums_start_from_a_written_groove_of_the_genre(debug_models):
    from orchestria_lab.models import corpus, drumset

    grooves = {p.steps[:16] for p in drumset.read_all() if p.genre == "reggae" and p.meter == "4/4"}
    notes = debug_models.drums(genre="reggae", time_signature="4/4", bars=2, rng=np.random.default_rng(5))
    labels = [str(c) for c in corpus.load("drums")["combos"]]
    by_name = {v: k for k, v in GM_DRUMS.items()}
    first_bar = [set() for _ in range(16)]
    for n in notes:
        if n.start < 4:
            voice = by_name[n.pitch] + ("~" if n.pitch == 38 and n.velocity < 60 else "")
            first_bar[int(n.start * 4)].add(voice)
    assert tuple(tuple(sorted(s)) for s in first_bar) in grooves
    assert labels  # the primer is only used where data and checkpoint share the drum tokens


def test_guidance_of_one_is_plain_conditional_sampling(debug_models):
    from orchestria_lab.models.features import drum_features
    from orchestria_lab.models.sampling import sample

    stepper = debug_models.model("drums")
    feats = drum_features(genre="funk", meter="4/4", n_bars=2)
    allowed = np.ones((len(feats), stepper.model.config.vocab), dtype=bool)
    plain = sample(stepper, feats, bar=16, allowed=allowed, rng=np.random.default_rng(0))
    guided = sample(stepper, feats, bar=16, allowed=allowed, rng=np.random.default_rng(0), guidance=1.0,
                    unconditioned=drum_features(genre=None, meter="4/4", n_bars=2))
    primed = sample(stepper, feats, bar=16, allowed=allowed, rng=np.random.default_rng(0), primer=plain[:5][::-1])
    assert np.array_equal(plain, guided)
    assert np.array_equal(primed[:5], plain[:5][::-1])
