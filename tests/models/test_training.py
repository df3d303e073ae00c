"""Debug-preset training: loss goes down, the model learns, checkpoints round-trip, seeds fix all."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from orchestria_lab.models import datasets
from orchestria_lab.models.features import FEATURE_INDEX
from orchestria_lab.models.train import batches, load_checkpoint, token_nll, train

PARTS = ("harmony", "melody", "bass", "drums")


@pytest.mark.parametrize("part", PARTS)
def test_debug_training_learns(debug_dir, part):
    result = debug_dir[1][part]
    history = result.history
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert result.valid_nll < math.log(datasets.vocab_size(part))  # beats a uniform guess
    assert result.test_nll < math.log(datasets.vocab_size(part))
    assert result.parameters < 100_000


@pytest.mark.parametrize("part", PARTS)
def test_checkpoints_carry_config_and_data_hash(debug_dir, part):
    path = debug_dir[0] / f"{part}.pt"
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["config"]["part"] == part and card["preset"] == "debug"
    assert len(card["data_hash"]) == 16 and card["seed"] == 0
    model = load_checkpoint(path)
    examples = datasets.examples(part, "test", limit=4)
    prev, back, feats, target = next(batches(examples, 4, config=model.config))
    with torch.inference_mode():
        logits = model(prev, back, feats)
    assert logits.shape == (*target.shape, model.config.vocab)
    assert float(token_nll(model, examples).mean()) == pytest.approx(
        float(token_nll(load_checkpoint(path), examples).mean()))


def test_training_is_deterministic_per_seed(tmp_path):
    a = train("drums", preset="debug", epochs=1, out_dir=tmp_path / "a", progress=False)
    b = train("drums", preset="debug", epochs=1, out_dir=tmp_path / "b", progress=False)
    c = train("drums", preset="debug", epochs=1, seed=1, out_dir=tmp_path / "c", progress=False)
    assert a.history[0]["train_loss"] == b.history[0]["train_loss"] != c.history[0]["train_loss"]
    assert (tmp_path / "a" / "drums.pt").read_bytes() == (tmp_path / "b" / "drums.pt").read_bytes()


def test_augmentation_transposes_to_many_keys_and_keeps_tokens_valid():
    tonic = FEATURE_INDEX["melody"]["tonic"]
    moved = datasets.examples("melody", "train", limit=40, rng=np.random.default_rng(0))
    assert len({int(e.features[0, tonic]) for e in moved}) >= 8
    for e in moved:
        assert e.tokens.min() >= 0 and e.tokens.max() < datasets.vocab_size("melody")
    plain = datasets.examples("melody", "train", limit=40)
    again = datasets.examples("melody", "train", limit=40)
    assert all(np.array_equal(a.tokens, b.tokens) for a, b in zip(plain, again, strict=True))


def test_unknown_parts_and_bad_settings_are_refused(tmp_path):
    with pytest.raises(Exception, match="harmony"):
        train("vocals", preset="debug", out_dir=tmp_path)
    with pytest.raises(ValueError, match="epochs"):
        train("drums", preset="debug", epochs=0, out_dir=tmp_path)
