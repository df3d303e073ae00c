"""The sequence model every generator uses: a conditioned GRU, with its presets.

The input at each step is the embedding of the previous token, the embeddings of the tokens
one or more bars back at the same position ("lookback", as in Magenta's Lookback RNN: music
repeats by the bar) and the embeddings of the step's conditioning features (key, chord,
metric position, genre ...); a stacked GRU reads them and a linear layer scores the next token. ``PRESETS["debug"]`` is tiny (hidden 16, one
layer) and trains in seconds, for tests.

>>> config = ModelConfig(part="melody", vocab=90, features=(("level", 4),), **PRESETS["debug"]["melody"])
>>> model = SequenceModel(config)
>>> previous, lookback = torch.zeros(2, 5, dtype=torch.long), torch.full((2, 5, 1), 90)
>>> model(previous, lookback, torch.zeros(2, 5, 1, dtype=torch.long)).shape
torch.Size([2, 5, 90])
>>> ModelConfig.from_json(config.to_json()) == config
True
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

#: Model sizes per preset and part. ``full`` stays under 1M parameters, a few MB on disk.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "debug": {p: {"hidden": 16, "layers": 1, "dropout": 0.0} for p in ("harmony", "melody", "bass", "drums")},
    "full": {
        "harmony": {"hidden": 192, "layers": 2, "dropout": 0.3, "lookback_bars": (2, 4)},
        "melody": {"hidden": 192, "layers": 2, "dropout": 0.1, "lookback_bars": (1, 2)},
        "bass": {"hidden": 192, "layers": 2, "dropout": 0.3, "lookback_bars": (1, 2)},
        "drums": {"hidden": 128, "layers": 2, "dropout": 0.3, "lookback_bars": (1, 2)},
    },
}


@dataclass(frozen=True)
class ModelConfig:
    """What a checkpoint needs to rebuild its model (stored as JSON with the weights).

    ``labels`` names the tokens where the vocabulary comes from the data (the drum combos).
    """

    part: str
    vocab: int
    features: tuple[tuple[str, int], ...]
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.1
    lookback_bars: tuple[int, ...] = (1,)
    labels: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        d = json.loads(text)
        d["features"] = tuple((str(n), int(k)) for n, k in d["features"])
        d["lookback_bars"] = tuple(int(b) for b in d.get("lookback_bars", ()))
        d["labels"] = tuple(str(x) for x in d.get("labels", ()))
        return cls(**d)

    @property
    def bos(self) -> int:
        """The start token: the "previous token" of the first step, and "no bar back yet"."""
        return self.vocab


class SequenceModel(nn.Module):
    """Conditioned GRU with lookback inputs; ``forward`` returns next-token logits."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        h = int(config.hidden)
        self.token = nn.Embedding(config.vocab + 1, h)
        self.lookback = nn.ModuleList(nn.Embedding(config.vocab + 1, h) for _ in config.lookback_bars)
        self.feature = nn.ModuleList(nn.Embedding(size, h) for _, size in config.features)
        self.drop = nn.Dropout(config.dropout)
        self.gru = nn.GRU(h, h, int(config.layers), batch_first=True,
                          dropout=config.dropout if config.layers > 1 else 0.0)
        self.out = nn.Linear(h, config.vocab)

    def condition(self, features: torch.Tensor) -> torch.Tensor:
        """Sum of the feature embeddings, ``(..., T, H)``."""
        return sum(emb(features[..., i]) for i, emb in enumerate(self.feature))

    def forward(self, previous: torch.Tensor, lookback: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, T, V)`` from previous tokens ``(B, T)``, lookback tokens ``(B, T, L)``, features ``(B, T, F)``."""
        x = self.token(previous) + self.condition(features)
        for i, emb in enumerate(self.lookback):
            x = x + emb(lookback[..., i])
        x = self.drop(x)
        y, _ = self.gru(x)
        return self.out(self.drop(y))

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
