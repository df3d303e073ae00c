"""The checkpoints that ship in data/checkpoints: small, traceable, and good enough to use."""

from __future__ import annotations

import functools
import hashlib
import json
import time

import numpy as np
import pytest

from orchestria_lab.models import corpus, datasets, generate, licences
from orchestria_lab.models.tokens import steps_per_bar
from orchestria_lab.music.theory import parse_key

#: By the files, not ``available``: a shipped checkpoint the loader refuses must fail here, not be skipped.
SHIPPED = [n for n in generate.GENERATORS if generate.checkpoint_path(n).is_file()]
pytestmark = pytest.mark.skipif(not SHIPPED, reason="no checkpoint ships yet (orchestria train all)")


@pytest.mark.parametrize("name", SHIPPED)
def test_checkpoints_are_small_and_match_their_cards(name):
    path = generate.checkpoint_path(name)
    card = json.loads(path.with_suffix(".json").read_text())
    assert path.stat().st_size <= 10_000_000
    assert card["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert generate.checkpoint_hash(name) == card["sha256"][:16]
    assert card["data_hash"] == corpus.data_hash(*datasets.datasets_of(name))  # trained on the data that ships
    assert card["preset"] == "full" and card["seconds"] <= 15 * 60
    assert sum(p.numel() for p in generate.model(name).model.parameters()) <= 2_000_000


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_checkpoints_are_licence_clean(name):
    """A default checkpoint learns from no non-commercial data, and its card says so."""
    path = generate.checkpoint_path(name)
    card = licences.card_of(path)
    assert card is not None, f"{path} ships without a card"
    assert card["licence"] == licences.PROJECT_LICENCE and card["corpus"] == "default"
    assert "essenFolksong" not in card["collections"] and "essen" not in datasets.datasets_of(name)
    assert card["collections"] and all(licences.BY_NAME[c].commercial for c in card["collections"])
    assert licences.refusal(path, allow_noncommercial=False) is None and generate.licence(name) == "Apache-2.0"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_checkpoints_beat_the_ngram_on_the_held_out_split(name):
    from orchestria_lab.eval.models import heldout_nll

    figures = heldout_nll(name)
    assert figures["nll_model"] < figures["nll_baseline"], figures


@pytest.mark.skipif("melody" not in SHIPPED or "harmony" not in SHIPPED, reason="needs harmony and melody")
def test_shipped_melodies_differ_by_seed_and_stay_in_key():
    key = parse_key("Bb")
    progression = generate.chords(key=key, genre="pop", time_signature="4/4", bars=8, rng=np.random.default_rng(0))
    chord_pcs = {pc for _, _, c in progression for pc in c.pitch_classes}
    lines = [generate.melody(key=key, genre="pop", time_signature="4/4", bars=8, chords=progression,
                             low=60, high=84, rng=np.random.default_rng(seed)) for seed in range(4)]
    assert len({tuple(line) for line in lines}) == 4
    notes = [n for line in lines for n in line]
    assert len(notes) >= 4 * 8  # at least a note a bar
    assert np.mean([key.contains(n.pitch) for n in notes]) >= 0.95
    assert all(n.pitch % 12 in set(key.scale) | chord_pcs and 60 <= n.pitch <= 84 for n in notes)


@pytest.mark.parametrize("name", SHIPPED)
def test_eight_bars_generate_quickly(name):
    key = parse_key("C")
    progression = [(2.0 * i, 2.0, key.chord(1 + i % 4)) for i in range(16)]
    calls = {
        "harmony": lambda rng: generate.chords(key=key, genre="rock", time_signature="4/4", bars=8, rng=rng),
        "melody": lambda rng: generate.melody(key=key, genre="rock", time_signature="4/4", bars=8,
                                              chords=progression, low=60, high=84, rng=rng),
        "bass": lambda rng: generate.bass(key=key, genre="rock", time_signature="4/4", bars=8, chords=progression,
                                          kick_beats=[0.0, 2.5], low=28, high=52, rng=rng),
        "drums": lambda rng: generate.drums(genre="rock", time_signature="4/4", bars=8, rng=rng),
    }
    calls[name](np.random.default_rng(0))  # load once
    start = time.perf_counter()
    calls[name](np.random.default_rng(1))
    assert time.perf_counter() - start < 0.5  # ~10-40 ms on an idle core; generous for loaded CI


@pytest.fixture(scope="module")
def chorale_figures():
    """Held-out NLL on the chorale test split: the shipped harmony model with the soprano, the same
    model with it withheld, and the Kneser-Ney n-gram (trained on the harmony train split)."""
    from orchestria_lab.models.ngram import best_order
    from orchestria_lab.models.train import load_checkpoint, token_nll

    def bach(examples):
        return [e for e in examples if e.name.startswith("bach/")]

    model = load_checkpoint(generate.checkpoint_path("harmony"))
    heard, withheld = bach(datasets.examples("harmony", "test")), bach(datasets.examples("harmony", "test", melody=False))
    ngram, _ = best_order([e.tokens for e in datasets.examples("harmony", "train")],
                          [e.tokens for e in datasets.examples("harmony", "valid")], vocab=datasets.vocab_size("harmony"))
    return {"with": float(token_nll(model, heard).mean()), "without": float(token_nll(model, withheld).mean()),
            "ngram": float(ngram.nll([e.tokens for e in heard]))}


def hears(test):
    """A test of the shipped harmony model's melody input: a checkpoint without one fails it, never skips it."""
    @functools.wraps(test)
    def checked(*args, **kwargs):
        assert "harmony" in SHIPPED and generate.hears_melody(), "the shipped harmony model takes no melody"
        return test(*args, **kwargs)
    return checked


@hears
def test_the_shipped_harmony_model_predicts_bach_s_chords_better_hearing_the_soprano(chorale_figures):
    assert chorale_figures["with"] < chorale_figures["without"] - 0.1, chorale_figures
    assert chorale_figures["with"] < chorale_figures["ngram"], chorale_figures
    assert chorale_figures["without"] < chorale_figures["ngram"], chorale_figures  # one model serves both


@hears
def test_the_shipped_harmony_model_alone_puts_chord_tones_under_the_soprano_it_hears():
    from orchestria_lab.models.generate import _notes_from_tokens
    from orchestria_lab.music.analysis import strong_beat_tones
    from orchestria_lab.music.theory import Key

    rows = [r for r in datasets.pieces_of("melody", "test") if r[0].startswith("bach/")][:20]
    heard, deaf = [], []
    for _, tokens, _, tonic, mode, meter, _ in rows:
        key, bars = Key(tonic, "minor" if mode else "major"), len(tokens) // steps_per_bar(meter)
        soprano = _notes_from_tokens(tokens, meter, np.random.default_rng(0))
        for out, melody in ((heard, soprano), (deaf, None)):
            chords = generate.chords(key=key, genre="folk", time_signature=meter, bars=bars,
                                     rng=np.random.default_rng(1), melody=melody, anchor=False)
            out += strong_beat_tones(soprano, chords, time_signature=meter)
    assert np.mean(heard) >= 0.8 and np.mean(heard) > np.mean(deaf) + 0.2, (np.mean(heard), np.mean(deaf))
