"""Seeded, constrained sampling from a :class:`SequenceModel`, one token at a time.

``sample`` draws with a temperature and nucleus (top-p) sampling, its uniform draws from a
``torch.Generator`` seeded by the caller, after masking the tokens music forbids at each step (``allowed``) and
adding soft preferences (``bias``, in logits). For pitched parts a ``HOLD`` can only follow a
sounding note. The GRU is stepped by hand with the first layer's input projection
precomputed, so eight bars take a few milliseconds per layer; it runs on one torch thread
(:func:`one_thread`).
"""

from __future__ import annotations

import numpy as np
import torch

from orchestria_lab.errors import InvalidValue
from orchestria_lab.models.network import SequenceModel
from orchestria_lab.threads import one_thread


class Stepper:
    """The weights of a model laid out for fast single-sequence inference."""

    def __init__(self, model: SequenceModel) -> None:
        model = model.eval()
        self.model = model
        self.bos = model.config.bos
        gru = model.gru
        self.layers = []
        for layer in range(gru.num_layers):
            self.layers.append(tuple(getattr(gru, f"{w}_l{layer}").detach().contiguous()
                                     for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
        w_ih0 = self.layers[0][0]
        with torch.inference_mode():
            self.token_table = model.token.weight.detach() @ w_ih0.T
            self.lookback_tables = [emb.weight.detach() @ w_ih0.T for emb in model.lookback]
        self.lookback_bars = model.config.lookback_bars
        self.out_w = model.out.weight.detach().contiguous()
        self.out_b = model.out.bias.detach().contiguous()
        self.hidden = gru.hidden_size

    @staticmethod
    def _cell(gi: torch.Tensor, h: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
        """One GRU step for a batch: ``gi`` ``(B, 3H)`` input gates, ``h`` ``(B, H)``."""
        gh = torch.addmm(b_hh, h, w_hh.T)
        ir, iz, i_n = gi.chunk(3, dim=1)
        hr, hz, h_n = gh.chunk(3, dim=1)
        r = torch.sigmoid(ir + hr)
        z = torch.sigmoid(iz + hz)
        n = torch.tanh(i_n + r * h_n)
        return n + z * (h - n)

    @torch.inference_mode()
    def run(
        self,
        features: np.ndarray,
        *,
        bar: int,
        allowed: np.ndarray,
        bias: np.ndarray | None,
        temperature: float,
        top_p: float,
        generator: torch.Generator,
        hold: int | None,
        rest: int | None,
        guidance: float = 1.0,
        unconditioned: np.ndarray | None = None,
        primer: np.ndarray | None = None,
    ) -> np.ndarray:
        """Sample ``len(features)`` tokens, the first ones given by ``primer`` if any. With
        ``unconditioned`` features (the same steps with the style withheld) and ``guidance`` > 1,
        the logits are pushed away from the unconditioned ones: ``u + guidance * (c - u)``
        (classifier-free guidance)."""
        primer = np.zeros(0, dtype=np.int64) if primer is None else np.asarray(primer, dtype=np.int64)
        steps = len(features)
        rows = [features] if unconditioned is None or guidance == 1.0 else [features, unconditioned]
        w_ih0, _, b_ih0, _ = self.layers[0]
        cond = self.model.condition(torch.as_tensor(np.stack(rows), dtype=torch.long))
        cond_proj = torch.baddbmm(b_ih0, cond, w_ih0.T.expand(len(rows), -1, -1))
        penalty = np.where(allowed, 0.0, -np.inf)
        if bias is not None:
            penalty = penalty + bias
        uniform = torch.rand(steps, generator=generator, dtype=torch.float64).numpy()
        h = [torch.zeros(len(rows), self.hidden) for _ in self.layers]
        previous = self.bos
        out = np.empty(steps, dtype=np.int64)
        for t in range(steps):
            gi = self.token_table[previous] + cond_proj[:, t]
            for table, bars in zip(self.lookback_tables, self.lookback_bars, strict=True):
                gi = gi + table[out[t - bars * bar] if t >= bars * bar else self.bos]
            h[0] = self._cell(gi, h[0], self.layers[0][1], self.layers[0][3])
            for i in range(1, len(self.layers)):
                w_ih, w_hh, b_ih, b_hh = self.layers[i]
                h[i] = self._cell(torch.addmm(b_ih, h[i - 1], w_ih.T), h[i], w_hh, b_hh)
            both = torch.addmm(self.out_b, h[-1], self.out_w.T).numpy().astype(np.float64)
            guided = both[0] if len(rows) == 1 else both[1] + guidance * (both[0] - both[1])
            logits = guided + penalty[t]
            if hold is not None and previous in (rest, self.bos):
                logits[hold] = -np.inf
            previous = int(primer[t]) if t < len(primer) else draw(logits, uniform[t], temperature=temperature, top_p=top_p)
            out[t] = previous
        return out


def draw(logits: np.ndarray, u: float, *, temperature: float, top_p: float) -> int:
    """The token that uniform number ``u`` picks from the nucleus of ``softmax(logits / temperature)``.

    >>> draw(np.log(np.array([0.5, 0.3, 0.2])), 0.99, temperature=1.0, top_p=0.7)   # nucleus {0, 1}
    1
    """
    top = logits.max()
    if not np.isfinite(top):
        raise InvalidValue("constraints", "no allowed token", "a pitch range and scale that leave some note possible")
    p = np.exp((logits - top) / temperature)
    order = np.argsort(-p, kind="stable")
    sorted_p = p[order]
    cum = np.cumsum(sorted_p)
    kept = int(np.searchsorted(cum, top_p * cum[-1])) + 1
    return int(order[min(int(np.searchsorted(cum[:kept], u * cum[kept - 1], side="right")), kept - 1)])


def sample(
    stepper: Stepper,
    features: np.ndarray,
    *,
    bar: int,
    allowed: np.ndarray,
    rng: np.random.Generator,
    bias: np.ndarray | None = None,
    temperature: float = 1.0,
    top_p: float = 0.95,
    hold: int | None = None,
    rest: int | None = None,
    guidance: float = 1.0,
    unconditioned: np.ndarray | None = None,
    primer: np.ndarray | None = None,
) -> np.ndarray:
    """Tokens for every row of ``features``, drawn under ``allowed`` (``(T, V)`` booleans).

    ``bar`` is the number of tokens per bar (for the lookback inputs).

    The torch generator is seeded from one draw of ``rng``: the same rng state gives the same
    tokens, bit for bit.
    """
    if not (0.05 <= temperature <= 5.0):
        raise InvalidValue("temperature", temperature, "a number from 0.05 to 5")
    if not (0.0 < top_p <= 1.0):
        raise InvalidValue("top_p", top_p, "a number in (0, 1]")
    generator = torch.Generator().manual_seed(int(rng.integers(0, 2**63 - 1)))
    with one_thread():
        return stepper.run(features, bar=bar, allowed=allowed, bias=bias, temperature=temperature, top_p=top_p,
                           generator=generator, hold=hold, rest=rest, guidance=guidance,
                           unconditioned=unconditioned, primer=primer)
