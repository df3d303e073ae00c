"""The Kneser-Ney baseline: a proper distribution that learns what it sees."""

from __future__ import annotations

import numpy as np
import pytest

from orchestria_lab.models.ngram import NGram, best_order


def _corpus(rng, n=60):
    # a stream with structure: a repeating motif with random substitutions
    motif = np.array([0, 3, 5, 3, 7, 5, 3, 1])
    return [np.where(rng.random(40) < 0.1, rng.integers(0, 9, 40), np.tile(motif, 5)) for _ in range(n)]


@pytest.mark.parametrize("order", [1, 2, 4])
def test_probabilities_sum_to_one_in_every_context(order):
    rng = np.random.default_rng(0)
    model = NGram(order=order, vocab=9).fit(_corpus(rng))
    for context in ([0, 3], [8, 8], [5], []):
        total = sum(np.exp(model.logprobs([np.array(context + [w])])[-1]) for w in range(9))
        assert total == pytest.approx(1.0, abs=1e-9)


def test_higher_orders_learn_structure_and_unseen_tokens_keep_mass():
    rng = np.random.default_rng(1)
    train, test = _corpus(rng), _corpus(rng, 10)
    unigram = NGram(order=1, vocab=9).fit(train).nll(test)
    trigram = NGram(order=3, vocab=9).fit(train).nll(test)
    assert trigram < unigram - 0.5
    assert np.isfinite(NGram(order=3, vocab=10).fit(train).nll([np.array([9, 9, 9])]))


def test_best_order_is_chosen_on_validation_data():
    rng = np.random.default_rng(2)
    model, scores = best_order(_corpus(rng), _corpus(rng, 10), vocab=9, orders=range(1, 5))
    assert model.order == min(scores, key=scores.get) and model.order > 1


def test_counting_in_chunks_gives_the_same_model():
    rng = np.random.default_rng(3)
    data, test = _corpus(rng), _corpus(rng, 5)
    whole = NGram(order=3, vocab=9).fit(data).nll(test)
    chunked = NGram(order=3, vocab=9).fit(data, chunk=50).nll(test)
    assert whole == pytest.approx(chunked)


def test_tokens_outside_the_vocabulary_are_refused():
    with pytest.raises(ValueError, match="tokens from 0 to 3"):
        NGram(order=2, vocab=4).fit([np.array([0, 4])])
