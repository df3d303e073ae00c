"""The n-gram baseline: interpolated Kneser-Ney over integer token sequences, in numpy.

Every model's held-out negative log-likelihood is compared with this baseline, trained on the
same token sequences. n-grams are kept as integer keys (the newest token is the lowest digit
in base ``vocab + 1``) with sorted unique counts, so fitting millions of tokens takes seconds.
Discounts follow Chen and Goodman (1998): ``D = n1 / (n1 + 2 n2)`` per order.

>>> seqs = [np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])] * 3
>>> model = NGram(order=3, vocab=4).fit(seqs)
>>> bool(model.nll([np.array([0, 1, 2, 0, 1, 2])]) < np.log(4))
True
>>> last = [model.logprobs([np.array([0, 1, w])])[-1] for w in range(4)]   # sums to one
>>> round(float(np.exp(last).sum()), 6)
1.0
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from orchestria_lab.errors import InvalidValue


@dataclass
class _Order:
    keys: np.ndarray  # sorted unique k-gram keys
    counts: np.ndarray  # their (continuation) counts
    contexts: np.ndarray  # sorted unique context keys (k-gram key // base)
    context_totals: np.ndarray  # sum of counts per context
    context_types: np.ndarray  # distinct continuations per context
    discount: float


class NGram:
    """Interpolated Kneser-Ney language model of order ``order`` over tokens ``0..vocab-1``.

    Sequences are padded on the left with a start token (``vocab``) that is never predicted.
    """

    def __init__(self, *, order: int = 4, vocab: int) -> None:
        if not (1 <= order <= 12):
            raise InvalidValue("order", order, "a whole number from 1 to 12")
        if (vocab + 1) ** order >= 2**62:
            raise InvalidValue("order", order, f"smaller: (vocab+1)**order must fit 62 bits for vocab {vocab}")
        self.order, self.vocab, self.base = order, vocab, vocab + 1
        self._orders: list[_Order] = []

    def _grams(self, sequences: Iterable[np.ndarray]) -> np.ndarray:
        """``(order, n_tokens)`` keys of the k-grams ending at every real token (k = 1..order)."""
        rows = []
        pad = np.full(self.order - 1, self.vocab, dtype=np.int64)
        for seq in sequences:
            seq = np.asarray(seq, dtype=np.int64)
            if len(seq) == 0:
                continue
            if seq.min() < 0 or seq.max() >= self.vocab:
                raise InvalidValue("token", int(seq.max()), f"tokens from 0 to {self.vocab - 1}")
            padded = np.concatenate([pad, seq])
            keys = np.zeros((self.order, len(seq)), dtype=np.int64)
            acc = np.zeros(len(seq), dtype=np.int64)
            for k in range(self.order):
                acc = acc + padded[self.order - 1 - k: len(padded) - k] * self.base**k
                keys[k] = acc
            rows.append(keys)
        return np.concatenate(rows, axis=1) if rows else np.zeros((self.order, 0), dtype=np.int64)

    def fit(self, sequences: Iterable[np.ndarray], *, chunk: int = 2_000_000) -> NGram:
        """Count the n-grams of ``sequences`` (any iterable; counted in chunks of tokens)."""
        return self._build(self._count(sequences, chunk=chunk))

    def _count(self, sequences: Iterable[np.ndarray], *, chunk: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Sorted unique k-gram keys and their counts, for k = 1..order."""
        uniques: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(self.order)]
        batch: list[np.ndarray] = []
        size = 0

        def flush() -> None:
            grams = self._grams(batch)
            for k in range(self.order):
                uniques[k].append(np.unique(grams[k], return_counts=True))
            batch.clear()

        for seq in sequences:
            batch.append(seq)
            size += len(seq)
            if size >= chunk:
                flush()
                size = 0
        if batch:
            flush()
        full = []
        for parts in uniques:
            keys = np.concatenate([k for k, _ in parts])
            counts = np.concatenate([c for _, c in parts])
            merged, inverse = np.unique(keys, return_inverse=True)
            full.append((merged, np.bincount(inverse, weights=counts).astype(np.int64)))
        return full

    def _build(self, full: list[tuple[np.ndarray, np.ndarray]]) -> NGram:
        """Kneser-Ney tables from the counts of :meth:`_count` (of this order or higher)."""
        self._orders = []
        for k in range(1, self.order + 1):
            if k == self.order:
                keys, counts = full[k - 1]
            else:  # continuation counts: distinct left extensions of each k-gram
                keys, counts = np.unique(full[k][0] % self.base**k, return_counts=True)
            contexts, inverse = np.unique(keys // self.base, return_inverse=True)
            n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
            self._orders.append(_Order(
                keys=keys, counts=counts, contexts=contexts,
                context_totals=np.bincount(inverse, weights=counts),
                context_types=np.bincount(inverse).astype(np.float64),
                discount=n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5,
            ))
        return self

    def logprobs(self, sequences: Sequence[np.ndarray]) -> np.ndarray:
        """Natural log-probability of every token of ``sequences``, concatenated."""
        if not self._orders:
            raise InvalidValue("n-gram", "unfitted", "a model fitted with .fit() first")
        grams = self._grams(sequences)
        prob = np.full(grams.shape[1], 1.0 / self.vocab)
        for k, table in enumerate(self._orders):
            keys = grams[k]
            count = _lookup(table.keys, table.counts, keys)
            ctx = keys // self.base
            total = _lookup(table.contexts, table.context_totals, ctx)
            types = _lookup(table.contexts, table.context_types, ctx)
            seen = total > 0
            safe = np.where(seen, total, 1.0)
            mixed = (np.maximum(count - table.discount, 0) + table.discount * types * prob) / safe
            prob = np.where(seen, mixed, prob)
        return np.log(prob)

    def nll(self, sequences: Sequence[np.ndarray]) -> float:
        """Mean negative log-likelihood per token, in nats."""
        return float(-self.logprobs(sequences).mean())


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``values`` at ``query`` keys (0 where a key is absent)."""
    if len(keys) == 0:
        return np.zeros(len(query))
    pos = np.clip(np.searchsorted(keys, query), 0, len(keys) - 1)
    return np.where(keys[pos] == query, values[pos], 0).astype(np.float64)


def best_order(
    train: Iterable[np.ndarray], valid: Sequence[np.ndarray], *, vocab: int, orders: Iterable[int] = range(1, 11)
) -> tuple[NGram, dict[int, float]]:
    """The n-gram whose order gives the lowest validation NLL, and the NLL of every order.

    The training data is counted once, at the highest order that fits 62-bit keys.
    """
    orders = [o for o in orders if (vocab + 1) ** o < 2**62]
    full = NGram(order=max(orders), vocab=vocab)._count(train, chunk=2_000_000)
    scores, models = {}, {}
    for order in orders:
        models[order] = NGram(order=order, vocab=vocab)._build(full)
        scores[order] = models[order].nll(valid)
    best = min(scores, key=scores.get)
    return models[best], scores
