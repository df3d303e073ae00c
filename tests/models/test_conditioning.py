"""The harmony model hears the melody it harmonises: the pairs it learns from, one model with a melody
and without, and the chords it samples to a melody (debug checkpoints; the shipped one in test_shipped)."""

from __future__ import annotations

import numpy as np
import pytest

from orchestria_lab.errors import InvalidValue
from orchestria_lab.models import corpus, datasets
from orchestria_lab.models.features import FEATURE_INDEX, NO_MELODY, melody_features
from orchestria_lab.models.network import ModelConfig, SequenceModel
from orchestria_lab.models.tokens import PITCH_OFFSET, chord_slots
from orchestria_lab.music.analysis import strong_beat_tones
from orchestria_lab.music.theory import parse_key
from orchestria_lab.state import Note

MELODY = slice(FEATURE_INDEX["harmony"]["melody_beat1"], None)


def test_every_chorale_and_folk_piece_has_a_melody_for_each_chord_slot_and_no_essen_tune_does():
    pairs = corpus.load("pairs")
    names = {str(n) for n in pairs["names"]}
    for dataset in ("chorales", "folk"):
        arrays = corpus.load(dataset)
        slots = corpus.pieces(arrays, "chords", "chord_offsets")
        for i in range(0, len(slots), 37):
            rows = datasets.melody_rows(str(arrays["names"][i]))
            assert rows is not None and len(rows) == len(slots[i])
    assert not names & {str(n) for n in corpus.load("essen")["names"]}
    assert corpus.manifest()["files"]["corpus/pairs.npz"]["from"] == {
        corpus.DATASETS[d]: corpus.manifest()["files"][corpus.DATASETS[d]]["sha256"] for d in ("chorales", "folk")}


def test_the_pairs_are_what_the_soprano_plays_over_each_slot():
    arrays = corpus.load("chorales")
    i = 3
    tokens = corpus.pieces(arrays, "melody")[i]
    meter = ("4/4", "3/4", "2/4", "6/8", "3/8", "9/8", "12/8", "2/2", "3/2", "6/4", "4/2")[int(arrays["meter"][i])]
    rows = datasets.melody_rows(str(arrays["names"][i]))
    assert np.array_equal(rows, melody_features(tokens, meter=meter, tonic=int(arrays["tonic"][i])))
    first = int(tokens[0]) - PITCH_OFFSET + 21  # the tune starts on beat one (pickups are trimmed)
    assert rows[0, 0] == 2 * ((first - int(arrays["tonic"][i])) % 12) + 1


def test_melody_features_are_key_relative():
    tune = np.array([45, 1, 1, 1, 47, 1, 0, 0] * 2)  # E, F# in D major ...
    a = melody_features(tune, meter="4/4", tonic=2)
    b = melody_features(np.where(tune >= PITCH_OFFSET, tune + 5, tune), meter="4/4", tonic=7)  # ... and a fourth up in G
    assert np.array_equal(a, b) and len(a) == chord_slots("4/4")


def test_harmony_examples_carry_their_melody_and_training_withholds_it_a_share_of_the_time():
    held_out = datasets.examples("harmony", "test")
    assert all(not np.array_equal(e.features[0, MELODY], NO_MELODY) for e in held_out)
    plain = datasets.examples("harmony", "test", melody=False)
    assert all((e.features[:, MELODY] == NO_MELODY).all() for e in plain)
    assert all(np.array_equal(a.tokens, b.tokens) for a, b in zip(held_out, plain, strict=True))
    trained = datasets.examples("harmony", "train", rng=np.random.default_rng(0))
    withheld = np.mean([(e.features[:, MELODY] == NO_MELODY).all() for e in trained])
    assert abs(withheld - datasets.MELODY_DROPOUT) < 0.03


def test_the_card_says_what_the_harmony_model_hears_and_scores_it_without(debug_dir):
    import json

    card = json.loads((debug_dir[0] / "harmony.json").read_text())
    assert "melody" in card["conditioning"] and card["test_nll_unconditioned"] > 0
    assert "pairs" in datasets.datasets_of("harmony") and card["licence"] == "Apache-2.0"


def _soprano():
    """A made-up soprano in C over four bars of 4/4 (quarters, a half note at each cadence)."""
    pitches = [72, 71, 69, 67, 65, 67, 69, 71, 72, 74, 76, 74, 72, 71, 72]
    durations = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    out, t = [], 0.0
    for p, d in zip(pitches, durations, strict=True):
        out.append(Note(p, t, float(d), 90))
        t += d
    return out


def test_chords_sampled_to_a_melody_hold_its_notes_on_the_chord_changes(debug_models):
    tune = _soprano()
    made = [debug_models.chords(key=parse_key("C"), genre="folk", time_signature="4/4", bars=4,
                                rng=np.random.default_rng(seed), melody=tune) for seed in range(3)]
    assert made[0] == debug_models.chords(key=parse_key("C"), genre="folk", time_signature="4/4", bars=4,
                                          rng=np.random.default_rng(0), melody=tune)
    for progression in made:
        assert all(strong_beat_tones(tune, progression, time_signature="4/4"))
        assert progression[-1][0] + progression[-1][1] == 16.0
    free = debug_models.chords(key="C", genre="folk", time_signature="4/4", bars=4, rng=np.random.default_rng(0),
                               melody=tune, anchor=False)
    assert len(free) == 8 and debug_models.hears_melody()


def test_a_harmony_checkpoint_that_hears_no_melody_still_plays_and_refuses_one(debug_models, tmp_path, monkeypatch):
    from orchestria_lab.models.train import save_checkpoint

    config = ModelConfig(part="harmony", vocab=datasets.vocab_size("harmony"),
                         features=ModelConfig.from_json(debug_models.model("harmony").model.config.to_json()).features[:6],
                         hidden=16, layers=1, dropout=0.0)
    save_checkpoint(SequenceModel(config), tmp_path / "harmony.pt", info={"licence": "Apache-2.0"})
    monkeypatch.setattr(debug_models, "CHECKPOINT_DIR", tmp_path)
    assert not debug_models.hears_melody()
    progression = debug_models.chords(key="Am", genre="pop", time_signature="3/4", bars=4, rng=np.random.default_rng(0))
    assert len(progression) == 4
    with pytest.raises(InvalidValue, match="not conditioned"):
        debug_models.chords(key="Am", genre="pop", time_signature="3/4", bars=4, rng=np.random.default_rng(0),
                            melody=_soprano())
