"""Training: ``train(part)`` fits a model on its train split and writes a checkpoint.

Seeds fix everything (initialisation, augmentation, batch order). After each epoch the model
is scored on the valid split and the best epoch is kept; the test split is only scored at
the end. A checkpoint is ``<part>.pt`` (``torch.load(weights_only=True)``: the state dict and
the config as JSON) with a ``<part>.json`` beside it: config, corpus, data hash, licence,
figures and timing. ``load_checkpoint`` refuses a checkpoint whose card does not carry the
project's licence unless asked (see ``licences``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from orchestria_lab.errors import InvalidValue
from orchestria_lab.models import datasets, licences
from orchestria_lab.models.corpus import DATA_DIR, data_hash
from orchestria_lab.models.corpus import load as load_arrays
from orchestria_lab.models.datasets import Example
from orchestria_lab.models.features import FEATURES
from orchestria_lab.models.network import PRESETS, ModelConfig, SequenceModel

CHECKPOINT_DIR = DATA_DIR / "checkpoints"
#: Training settings per preset: epochs, batch size, learning rate, examples per epoch (None: all).
SETTINGS: dict[str, dict[str, dict[str, Any]]] = {
    "debug": {p: {"epochs": 3, "batch": 16, "lr": 1e-2, "examples": 48} for p in datasets.PARTS},
    "full": {
        # Without the Essen tunes the folk data is under half what it was: twice the epochs keep
        # the number of updates (and the training time) about the same.
        "harmony": {"epochs": 32, "batch": 32, "lr": 2e-3, "examples": None},
        "melody": {"epochs": 4, "batch": 32, "lr": 2e-3, "examples": None},
        "bass": {"epochs": 40, "batch": 16, "lr": 2e-3, "examples": None},
        "drums": {"epochs": 40, "batch": 8, "lr": 3e-3, "examples": None},
    },
}
#: A full training stops before an epoch that would end past this budget (the issue allows 15 min).
TIME_BUDGET_S = 14 * 60
#: AdamW's weight decay unless a run overrides it.
WEIGHT_DECAY = 0.01


@dataclass(frozen=True)
class Hyperparameter:
    """A setting a run may override (``train(overrides=...)``, a sweep's search space): where it
    goes (the training ``settings`` or the ``model`` config), its type and its valid range."""

    name: str
    goes_to: str  #: "settings" or "model"
    kind: type  #: int or float; a tuple of ints for ``lookback_bars``
    low: float
    high: float | None = None  #: inclusive; None: no upper bound
    description: str = ""

    @property
    def expected(self) -> str:
        what = {int: "a whole number", float: "a number", tuple: "a list of whole numbers"}[self.kind]
        return f"{what} from {self.low:g}" + (f" to {self.high:g}" if self.high is not None else " up")

    def check(self, value: Any) -> Any:
        """``value`` in this setting's type, or InvalidValue saying what would be valid.

        >>> HYPERPARAMETERS["dropout"].check(0.2), HYPERPARAMETERS["lookback_bars"].check([1, 2])
        (0.2, (1, 2))
        >>> HYPERPARAMETERS["hidden"].check(2.5)
        Traceback (most recent call last):
        ...
        orchestria_lab.errors.InvalidValue: hidden=2.5 is not valid: expected a whole number from 1 to 4096.
        """
        items = value if self.kind is tuple else (value,)
        if self.kind is tuple and not isinstance(value, list | tuple):
            raise InvalidValue(self.name, value, self.expected)
        whole = self.kind in (int, tuple)
        for item in items:
            number = isinstance(item, int | float) and not isinstance(item, bool)
            if (not number or not math.isfinite(item) or (whole and item != int(item)) or item < self.low
                    or (self.high is not None and item > self.high)):
                raise InvalidValue(self.name, value, self.expected)
        if self.kind is tuple:
            return tuple(int(b) for b in value)
        return int(value) if whole else float(value)


#: What a run may override, by name: the training settings (``SETTINGS``) and the model's size
#: (``network.PRESETS``). ``examples`` caps the examples of every split (tiny runs, for tests).
HYPERPARAMETERS: dict[str, Hyperparameter] = {h.name: h for h in (
    Hyperparameter("lr", "settings", float, 1e-6, 1.0, "peak learning rate of AdamW"),
    Hyperparameter("batch", "settings", int, 1, 4096, "examples per batch"),
    Hyperparameter("epochs", "settings", int, 1, 10_000, "passes over the training split"),
    Hyperparameter("examples", "settings", int, 1, None, "examples per split (default: the preset's)"),
    Hyperparameter("weight_decay", "settings", float, 0.0, 1.0, "AdamW's weight decay"),
    Hyperparameter("hidden", "model", int, 1, 4096, "GRU width"),
    Hyperparameter("layers", "model", int, 1, 16, "stacked GRU layers"),
    Hyperparameter("dropout", "model", float, 0.0, 0.95, "dropout between layers"),
    Hyperparameter("lookback_bars", "model", tuple, 1, 64, "bars back the model looks"),
)}


def resolved_settings(part: str, preset: str, overrides: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """``{"settings": ..., "model": ...}``: the preset's training settings and model size for
    ``part`` with ``overrides`` applied, each override checked (:data:`HYPERPARAMETERS`).

    >>> resolved_settings("drums", "debug", {"lr": 0.003, "hidden": 8})["model"]
    {'hidden': 8, 'layers': 1, 'dropout': 0.0}
    >>> resolved_settings("drums", "debug", {"width": 8})
    Traceback (most recent call last):
    ...
    orchestria_lab.errors.InvalidValue: hyperparameter='width' is not valid: expected one of lr, batch, epochs, examples, weight_decay, hidden, layers, dropout, lookback_bars.
    """
    if preset not in PRESETS or preset not in SETTINGS:
        raise InvalidValue("preset", preset, "one of " + ", ".join(PRESETS))
    if part not in SETTINGS[preset]:
        raise InvalidValue("part", part, "one of " + ", ".join(SETTINGS[preset]))
    out = {"settings": {**SETTINGS[preset][part], "weight_decay": WEIGHT_DECAY}, "model": dict(PRESETS[preset][part])}
    for name, value in (overrides or {}).items():
        if name not in HYPERPARAMETERS:
            raise InvalidValue("hyperparameter", name, "one of " + ", ".join(HYPERPARAMETERS))
        spec = HYPERPARAMETERS[name]
        out[spec.goes_to][name] = spec.check(value)
    return out


@dataclass
class TrainResult:
    """What a training run did: its figures (NLL in nats per token), its data and where it wrote."""

    part: str
    preset: str
    corpus: str
    licence: str
    epochs: int
    seconds: float
    parameters: int
    valid_nll: float
    test_nll: float
    checkpoint: str
    data_hash: str
    history: list[dict[str, float]] = field(default_factory=list)


def lookback_tokens(tokens: np.ndarray, *, bar: int, lookback_bars: tuple[int, ...], none: int) -> np.ndarray:
    """``(len, L)``: the token ``b`` bars before each step (``none`` before the start).

    >>> lookback_tokens(np.array([5, 6, 7, 8]), bar=2, lookback_bars=(1,), none=9)[:, 0].tolist()
    [9, 9, 5, 6]
    """
    out = np.full((len(tokens), len(lookback_bars)), none, dtype=np.int64)
    for j, bars in enumerate(lookback_bars):
        back = bars * bar
        out[back:, j] = tokens[:len(tokens) - back] if back < len(tokens) else []
    return out


def bucketed(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Batches of indices in random order, each of examples of similar length (less padding).

    >>> groups = bucketed(np.array([5, 50, 6, 49, 7, 48]), 2, np.random.default_rng(0))
    >>> sorted(sorted(int(i) for i in g) for g in groups)
    [[0, 2], [1, 3], [4, 5]]
    """
    order = rng.permutation(len(lengths))
    groups = []
    for start in range(0, len(order), size * 32):
        pool = order[start:start + size * 32]
        pool = pool[np.argsort(lengths[pool], kind="stable")]
        groups += [pool[i:i + size] for i in range(0, len(pool), size)]
    return [groups[i] for i in rng.permutation(len(groups))]


def batches(examples: list[Example], size: int, *, config: ModelConfig, groups: list[np.ndarray] | None = None):
    """Padded ``(previous, lookback, features, targets)`` tensors; padding targets are -100.

    ``groups`` lists the indices of each batch (default: consecutive runs of ``size``).
    """
    if groups is None:
        groups = [np.arange(i, min(i + size, len(examples))) for i in range(0, len(examples), size)]
    bos, n_back = config.bos, len(config.lookback_bars)
    for group in groups:
        chunk = [examples[i] for i in group]
        length = max(len(e.tokens) for e in chunk)
        prev = np.full((len(chunk), length), bos, dtype=np.int64)
        back = np.full((len(chunk), length, n_back), bos, dtype=np.int64)
        feats = np.zeros((len(chunk), length, chunk[0].features.shape[1]), dtype=np.int64)
        target = np.full((len(chunk), length), -100, dtype=np.int64)
        for row, e in enumerate(chunk):
            n = len(e.tokens)
            prev[row, 1:n] = e.tokens[:-1]
            back[row, :n] = lookback_tokens(e.tokens, bar=e.bar, lookback_bars=config.lookback_bars, none=bos)
            feats[row, :n] = e.features
            target[row, :n] = e.tokens
        yield tuple(torch.from_numpy(a) for a in (prev, back, feats, target))


@torch.inference_mode()
def token_nll(model: SequenceModel, examples: list[Example], *, batch_size: int = 64) -> np.ndarray:
    """Negative log-likelihood (nats) of every token of ``examples``, concatenated in order."""
    model.eval()
    out = []
    for prev, back, feats, target in batches(examples, batch_size, config=model.config):
        logits = model(prev, back, feats)
        nll = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=-100, reduction="none")
        for row in range(len(target)):
            out.append(nll[row][target[row] >= 0].numpy())
    return np.concatenate(out) if out else np.zeros(0)


def build_model(part: str, preset: str, *, size: Mapping[str, Any] | None = None) -> SequenceModel:
    """A new model of ``preset``'s size for ``part`` (``size``: the model settings to use instead)."""
    if preset not in PRESETS:
        raise InvalidValue("preset", preset, "one of " + ", ".join(PRESETS))
    labels = tuple(str(c) for c in load_arrays("drums")["combos"]) if part == "drums" else ()
    config = ModelConfig(part=part, vocab=datasets.vocab_size(part), features=FEATURES[part], labels=labels,
                         **(PRESETS[preset][part] if size is None else size))
    return SequenceModel(config)


def train(
    part: str,
    *,
    preset: str = "full",
    epochs: int | None = None,
    seed: int = 0,
    out_dir: Path | str = CHECKPOINT_DIR,
    progress: bool = True,
    time_budget_s: float | None = None,
    corpus: str = "default",
    overrides: Mapping[str, Any] | None = None,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
    card: Mapping[str, Any] | None = None,
) -> TrainResult:
    """Train the ``part`` model (harmony, melody, bass, drums) on ``corpus`` and write its checkpoint.

    ``corpus`` is ``default`` (no non-commercial data) or ``essen`` (adds the Essen tunes: the
    card says non-commercial, and the checkpoint is not loaded by default). ``epochs``
    overrides the preset's; so does ``overrides`` for any of :data:`HYPERPARAMETERS` (a
    sweep's trial config). ``time_budget_s`` (default: 14 min for ``full``) stops before an
    epoch that would end past it. ``on_epoch`` is called with each epoch's record (epoch,
    train_loss, valid_nll, seconds); ``card`` adds entries to the checkpoint's card (never over
    its own). Returns the figures, also written beside the checkpoint with the settings used.
    """
    from tqdm.auto import tqdm

    used = datasets.datasets_of(part, corpus)
    licence = licences.checkpoint_licence(used)
    if epochs is not None and epochs < 1:
        raise InvalidValue("epochs", epochs, "a whole number >= 1")
    resolved = resolved_settings(part, preset, {**({} if epochs is None else {"epochs": epochs}), **(overrides or {})})
    settings = resolved["settings"]
    budget = time_budget_s if time_budget_s is not None else (TIME_BUDGET_S if preset == "full" else math.inf)
    torch.manual_seed(seed)
    model = build_model(part, preset, size=resolved["model"])
    limit = settings["examples"]
    valid = datasets.examples(part, "valid", limit=limit, corpus=corpus)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings["lr"], weight_decay=settings["weight_decay"])
    started = time.perf_counter()
    best_state, best_valid, history = None, math.inf, []
    total_steps, step = None, 0
    for epoch in range(settings["epochs"]):
        rng = np.random.default_rng([seed, epoch])
        train_set = datasets.examples(part, "train", rng=rng, limit=limit, corpus=corpus)
        groups = bucketed(np.array([len(e.tokens) for e in train_set]), settings["batch"], rng)
        n_batches = len(groups)
        total_steps = total_steps or n_batches * settings["epochs"]
        model.train()
        losses = []
        bar = tqdm(batches(train_set, settings["batch"], config=model.config, groups=groups), total=n_batches,
                   desc=f"{part} {epoch + 1}/{settings['epochs']}", disable=not progress, leave=False)
        for prev, back, feats, target in bar:
            for group in optimizer.param_groups:
                group["lr"] = settings["lr"] * _schedule(step, total_steps)
            logits = model(prev, back, feats)
            loss = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=-100)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
            step += 1
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
        valid_nll = float(token_nll(model, valid).mean())
        history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "valid_nll": valid_nll,
                        "seconds": round(time.perf_counter() - started, 1)})
        if progress:
            print(f"{part} epoch {epoch + 1}: train {history[-1]['train_loss']:.4f}, valid {valid_nll:.4f} nats/token")
        if on_epoch is not None:
            on_epoch(dict(history[-1]))
        if valid_nll < best_valid:
            best_valid, best_state = valid_nll, copy.deepcopy(model.state_dict())
        elapsed = time.perf_counter() - started
        if elapsed + elapsed / (epoch + 1) > budget:  # the next epoch would not fit
            break
    seconds = time.perf_counter() - started
    model.load_state_dict(best_state)
    test_nll = float(token_nll(model, datasets.examples(part, "test", limit=limit, corpus=corpus)).mean())
    path = Path(out_dir) / f"{part}.pt"
    result = TrainResult(
        part=part, preset=preset, corpus=corpus, licence=licence["licence"], epochs=len(history),
        seconds=round(seconds, 1), parameters=model.parameter_count(), valid_nll=best_valid, test_nll=test_nll,
        checkpoint=str(path), data_hash=data_hash(*used), history=history,
    )
    conditioning = {}
    if part in datasets.CONDITIONING:  # the same model with what it is conditioned on withheld
        plain = datasets.examples(part, "test", limit=limit, corpus=corpus, melody=False)
        conditioning = {"conditioning": datasets.CONDITIONING[part],
                        "test_nll_unconditioned": float(token_nll(model, plain).mean())}
    # the card's own entries come last: an added entry never replaces the licence or the figures
    save_checkpoint(model, path, info={**(card or {}), **asdict(result), **licence, **conditioning, "seed": seed,
                                       "torch": torch.__version__, "settings": settings})
    return result


def _schedule(step: int, total: int) -> float:
    """Linear warm-up (a tenth of the steps, at most 50), then cosine decay to a tenth of the peak."""
    warmup = min(50, max(1, total // 10))
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


def save_checkpoint(model: SequenceModel, path: Path, *, info: dict[str, Any]) -> None:
    """Write ``path`` (weights and config, loadable with ``weights_only=True``) and its JSON card."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "config": model.config.to_json()}, path)
    card = {"config": json.loads(model.config.to_json()), **info,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    path.with_suffix(".json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")


def load_checkpoint(path: Path, *, allow_noncommercial: bool | None = None) -> SequenceModel:
    """The model stored at ``path``; never touches the network (``weights_only=True``).

    A checkpoint whose card does not carry the project's licence (one trained on the Essen
    tunes, or one without a card) raises :class:`~orchestria_lab.models.licences.NonCommercialCheckpoint`
    unless ``allow_noncommercial`` is True (default: ``ORCHESTRIA_ALLOW_NONCOMMERCIAL=1``).
    """
    licences.check(path, allow_noncommercial=allow_noncommercial)
    blob = torch.load(path, map_location="cpu", weights_only=True)
    model = SequenceModel(ModelConfig.from_json(blob["config"]))
    model.load_state_dict(blob["state_dict"])
    return model.eval()
