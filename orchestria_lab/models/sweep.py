"""Training sweeps: ``orchestria train PART --sweep SPEC`` searches hyperparameters with Ray Tune.

A sweep spec is a small JSON object (a file, or the JSON itself):

.. code-block:: json

    {"preset": "debug", "trials": 4, "metric": "valid_nll", "seed": 0,
     "space": {"lr": {"loguniform": [1e-3, 3e-2]}, "hidden": {"choice": [16, 32]}, "epochs": 2}}

- ``preset`` (``debug`` or ``full``) is where every trial starts from: its training settings
  and model size; ``space`` overrides any of them (``train.HYPERPARAMETERS``: lr, batch,
  epochs, examples, weight_decay, hidden, layers, dropout, lookback_bars) and ``seed``, each
  as a constant or a domain: ``{"choice": [...]}``, ``{"grid": [...]}`` (every value, in each
  sample), ``{"uniform": [low, high]}``, ``{"loguniform": [low, high]}`` (numbers) or
  ``{"randint": [low, high]}`` (whole numbers, both ends included).
- ``trials`` is the number of samples Ray Tune draws (times the grid's size, if any);
  ``seed`` (default 0) seeds the draw and is every trial's training seed unless the space
  names ``seed``.
- ``metric`` is the held-out NLL the trials are ranked by, lower is better: ``valid_nll``
  (the default; the epoch kept is the one with the lowest) or ``test_nll`` (which spends the
  test split on choosing).
- ``corpus`` (default ``default``), ``cpus_per_trial`` (default 1: trials run side by side,
  one per CPU) and ``time_budget_s`` (per trial; the preset's budget unless given).

Each trial trains with its config and writes ``<part>.pt`` and its card ``<part>.json`` under
``OUT/trials/<trial id>/``; the card carries the licence, the figures and a ``sweep`` entry
(trial id, trial config, metric, spec). :func:`run_sweep` returns the trials as a table ranked
by the metric (rank 1 is the best), also written to ``OUT/sweep.parquet``; Ray Tune's own
records go to ``OUT/tune/``. ``OUT`` must not be inside ``data/checkpoints`` (a shipped
checkpoint is promoted by copying a trial's files, on purpose) and must be empty of an
earlier sweep unless ``force``. On a cluster (``address``), ``OUT`` must be storage that every
node can write to.

>>> spec = load_spec('{"trials": 2, "space": {"lr": {"choice": [0.01, 0.003]}, "epochs": 1}}')
>>> spec.preset, spec.trials, spec.metric, spec.space["lr"]
('debug', 2, 'valid_nll', Domain(kind='choice', values=(0.01, 0.003)))
>>> load_spec('{"trials": 2, "space": {}, "metrc": "valid_nll"}')
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: sweep spec key='metrc' is not valid: expected one of preset, space, trials, metric, seed, corpus, cpus_per_trial, time_budget_s.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from orchestria_lab.errors import InvalidValue, NotFound, OrchestriaError
from orchestria_lab.models.datasets import PARTS
from orchestria_lab.models.licences import CORPORA
from orchestria_lab.models.train import HYPERPARAMETERS, Hyperparameter, resolved_settings

__all__ = ["DOMAINS", "METRICS", "SPEC_KEYS", "Domain", "SweepResult", "SweepSpec", "load_spec", "run_sweep"]

#: The keys of a sweep spec, ``space`` and ``trials`` required.
SPEC_KEYS = ("preset", "space", "trials", "metric", "seed", "corpus", "cpus_per_trial", "time_budget_s")
#: The held-out NLLs a sweep may rank by (nats per token; lower is better).
METRICS = ("valid_nll", "test_nll")
#: Search domains: what each takes.
DOMAINS = {"choice": "a list of values", "grid": "a list of values", "uniform": "[low, high]",
           "loguniform": "[low, high], low > 0", "randint": "[low, high] of whole numbers, both included"}
#: The training seed, which the space may search too.
SEED = Hyperparameter("seed", "run", int, 0, 2**31 - 1, "seed of initialisation, augmentation and batches")
#: Where Ray Tune's records, the trials and the table go inside ``OUT``.
TUNE_DIR, TRIALS_DIR, TABLE_FILE = "tune", "trials", "sweep.parquet"
#: The table's columns after the hyperparameters.
RESULT_COLUMNS = ("epochs_trained", "parameters", "seconds", "licence", "checkpoint", "error")


@dataclass(frozen=True)
class Domain:
    """A search domain of one hyperparameter (:data:`DOMAINS`), checked against its range.

    >>> Domain.parse(HYPERPARAMETERS["hidden"], {"randint": [8, 32]})
    Domain(kind='randint', values=(8, 32))
    >>> Domain.parse(HYPERPARAMETERS["hidden"], {"uniform": [8, 32]})
    Traceback (most recent call last):
    ...
    orchestria_lab.errors.InvalidValue: space.hidden='uniform' is not valid: expected choice, grid or randint for a whole number.
    """

    kind: str
    values: tuple[Any, ...]

    @classmethod
    def parse(cls, setting: Hyperparameter, entry: Mapping[str, Any]) -> Domain:
        where = f"space.{setting.name}"
        if len(entry) != 1 or next(iter(entry)) not in DOMAINS:
            raise InvalidValue(where, dict(entry), "a constant or one of {" + ", ".join(
                f'"{k}": {v}' for k, v in DOMAINS.items()) + "}")
        kind, values = next(iter(entry.items()))
        if not isinstance(values, list | tuple) or not values:
            raise InvalidValue(f"{where}.{kind}", values, DOMAINS[kind])
        if kind in ("choice", "grid"):
            return cls(kind, tuple(_checked(setting, v) for v in values))
        allowed = ("randint",) if setting.kind is int else ("uniform", "loguniform") if setting.kind is float else ()
        if kind not in allowed:
            what = {int: "a whole number", float: "a number", tuple: "a list"}[setting.kind]
            raise InvalidValue(where, kind, f"{', '.join(('choice', 'grid', *allowed)[:-1])} or "
                                            f"{('choice', 'grid', *allowed)[-1]} for {what}")
        low, high = (_checked(setting, v) for v in values) if len(values) == 2 else (None, None)
        if low is None or not low < high or (kind == "loguniform" and low <= 0):
            raise InvalidValue(f"{where}.{kind}", list(values), DOMAINS[kind] + ", low < high")
        return cls(kind, (low, high))

    def to_tune(self) -> Any:
        from ray import tune

        if self.kind == "choice":
            return tune.choice(list(self.values))
        if self.kind == "grid":
            return tune.grid_search(list(self.values))
        if self.kind == "randint":
            return tune.randint(self.values[0], self.values[1] + 1)  # Ray's upper end is excluded
        return getattr(tune, self.kind)(*self.values)


def _checked(setting: Hyperparameter, value: Any) -> Any:
    try:
        checked = setting.check(value)
    except InvalidValue:
        raise InvalidValue(f"space.{setting.name}", value, setting.expected) from None
    return list(checked) if isinstance(checked, tuple) else checked


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep spec (see the module's doc); build one with :func:`load_spec`."""

    space: Mapping[str, Any]
    trials: int
    preset: str = "debug"
    metric: str = "valid_nll"
    seed: int = 0
    corpus: str = "default"
    cpus_per_trial: int = 1
    time_budget_s: float | None = None

    def __post_init__(self) -> None:
        if self.preset not in ("debug", "full"):
            raise InvalidValue("preset", self.preset, "debug or full")
        if self.metric not in METRICS:
            raise InvalidValue("metric", self.metric, "one of " + ", ".join(METRICS) + " (held-out NLL, lower is better)")
        for name, low in (("trials", 1), ("cpus_per_trial", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise InvalidValue(name, value, f"a whole number from {low} up")
        SEED.check(self.seed)
        if self.corpus not in CORPORA:
            raise InvalidValue("corpus", self.corpus, "one of " + ", ".join(CORPORA))
        budget = self.time_budget_s
        if budget is not None and (not isinstance(budget, int | float) or isinstance(budget, bool) or not budget > 0):
            raise InvalidValue("time_budget_s", budget, "seconds per trial, more than 0, or null")
        if not isinstance(self.space, Mapping):
            raise InvalidValue("space", self.space, "an object of hyperparameters: " + ", ".join(_SETTINGS))
        space = {}
        for name, entry in self.space.items():
            if name not in _SETTINGS:
                raise InvalidValue("space key", name, "one of " + ", ".join(_SETTINGS))
            setting = _SETTINGS[name]
            space[name] = entry if isinstance(entry, Domain) else (
                Domain.parse(setting, entry) if isinstance(entry, Mapping) else _checked(setting, entry))
        object.__setattr__(self, "space", space)

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data, in the form :func:`load_spec` reads."""
        space = {k: {v.kind: list(v.values)} if isinstance(v, Domain) else v for k, v in self.space.items()}
        return {"preset": self.preset, "space": space, "trials": self.trials, "metric": self.metric,
                "seed": self.seed, "corpus": self.corpus, "cpus_per_trial": self.cpus_per_trial,
                "time_budget_s": self.time_budget_s}

    @property
    def count(self) -> int:
        """How many trials the search makes: ``trials`` times the size of every grid."""
        return self.trials * math.prod(len(v.values) for v in self.space.values()
                                       if isinstance(v, Domain) and v.kind == "grid")

    def param_space(self) -> dict[str, Any]:
        return {k: v.to_tune() if isinstance(v, Domain) else v for k, v in self.space.items()}


_SETTINGS: dict[str, Hyperparameter] = {**HYPERPARAMETERS, "seed": SEED}


def load_spec(source: SweepSpec | Mapping[str, Any] | str | Path) -> SweepSpec:
    """A :class:`SweepSpec` from a spec, a dict, a JSON file's path or the JSON text itself.

    A bad spec raises :class:`~orchestria_lab.errors.InvalidValue` naming the valid keys,
    hyperparameters or domains; a path that is not a file, :class:`~orchestria_lab.errors.NotFound`.
    """
    if isinstance(source, SweepSpec):
        return source
    if isinstance(source, str | Path):
        text = str(source)
        if not text.lstrip().startswith("{"):
            path = Path(text)
            if not path.is_file():
                raise NotFound("sweep spec file", text)
            text = path.read_text()
        try:
            source = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidValue("sweep spec", text[:80], f"a JSON object ({exc.msg})") from None
    if not isinstance(source, Mapping):
        raise InvalidValue("sweep spec", source, "a JSON object with keys " + ", ".join(SPEC_KEYS))
    unknown = [k for k in source if k not in SPEC_KEYS]
    if unknown:
        raise InvalidValue("sweep spec key", unknown[0], "one of " + ", ".join(SPEC_KEYS))
    missing = [k for k in ("space", "trials") if k not in source]
    if missing:
        raise InvalidValue("sweep spec", dict(source), f"an object with {' and '.join(missing)} "
                           f"(keys: {', '.join(SPEC_KEYS)})")
    return SweepSpec(**source)


@dataclass(frozen=True)
class SweepResult:
    """The trials of a sweep ranked by ``metric`` (``table``; rank 1 first, failed trials last
    without a rank) and where the table was written."""

    table: pd.DataFrame
    metric: str
    path: Path
    spec: SweepSpec = field(repr=False)

    @property
    def best(self) -> pd.Series:
        """The best trial's row (raises when every trial failed)."""
        done = self.table[self.table["error"].isna()]
        if done.empty:
            raise OrchestriaError("Every trial of the sweep failed: see the table's error column.")
        return done.iloc[0]

    @property
    def failed(self) -> pd.DataFrame:
        return self.table[self.table["error"].notna()]


def _trial(config: dict[str, Any], *, part: str, spec: dict[str, Any], out: str, env: dict[str, str]) -> None:
    """One trial, in a Ray worker: train with ``config`` into ``out/trials/<trial id>/``."""
    os.environ.update(env)
    import torch
    from ray import tune

    from orchestria_lab.models.train import train

    checked = load_spec(spec)
    torch.set_num_threads(checked.cpus_per_trial)
    trial_id = tune.get_context().get_trial_id()
    best = math.inf

    def report(record: dict[str, float]) -> None:
        nonlocal best
        best = min(best, record["valid_nll"])
        tune.report({"epoch": record["epoch"], "train_loss": record["train_loss"], "valid_nll": best})

    overrides = {k: v for k, v in config.items() if k != "seed"}
    card = {"sweep": {"trial_id": trial_id, "trial_config": config, "metric": checked.metric, "mode": "min",
                      "spec": spec}}
    result = train(part, preset=checked.preset, seed=config.get("seed", checked.seed), progress=False,
                   out_dir=Path(out) / TRIALS_DIR / trial_id, time_budget_s=checked.time_budget_s,
                   corpus=checked.corpus, overrides=overrides, on_epoch=report, card=card)
    tune.report({"epoch": result.epochs, "valid_nll": result.valid_nll, "test_nll": result.test_nll,
                 "parameters": result.parameters, "seconds": result.seconds, "licence": result.licence,
                 "checkpoint": result.checkpoint})


def _progress_callback(total: int, metric: str, enabled: bool) -> Any:
    from ray import tune

    class Progress(tune.Callback):
        """A tqdm bar of finished trials, with the best metric so far."""

        def __init__(self) -> None:
            self.bar, self.best = None, math.inf

        def __getstate__(self) -> dict[str, Any]:  # Tune pickles its callbacks with the run
            return {"bar": None, "best": self.best}

        def setup(self, **info: Any) -> None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="trials", disable=not enabled)

        def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
            if result.get(metric) is not None:
                self.best = min(self.best, float(result[metric]))
                self.bar.set_postfix({f"best {metric}": f"{self.best:.4f}"})

        def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            self.bar.update()

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            self.bar.update()

        def on_experiment_end(self, trials: list, **info: Any) -> None:
            self.bar.close()

    return Progress()


def prepare_out(out: str | Path, *, force: bool) -> Path:
    """``out``, resolved and ready: never inside ``data/checkpoints``; an earlier sweep there
    is replaced only with ``force``."""
    from orchestria_lab.models.train import CHECKPOINT_DIR

    out = Path(out).resolve()
    shipped = CHECKPOINT_DIR.resolve()
    if out == shipped or shipped in out.parents:
        raise InvalidValue("--out", str(out), f"a folder outside {shipped} (the shipped checkpoints; to ship a "
                                              "trial, copy its .pt and .json there)")
    earlier = [out / name for name in (TRIALS_DIR, TUNE_DIR, TABLE_FILE) if (out / name).exists()]
    if earlier and not force:
        raise InvalidValue("--out", str(out), f"a folder without an earlier sweep ({', '.join(map(str, earlier))}), "
                                              "or --force to replace it")
    for path in earlier:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


def run_sweep(part: str, spec: SweepSpec | Mapping[str, Any] | str | Path, out: str | Path, *,
              address: str | None = None, force: bool = False, progress: bool = True) -> SweepResult:
    """Run the sweep ``spec`` (see :func:`load_spec`) for ``part`` with Ray Tune into ``out``.

    Ray is the one initialised in this process if any, else the cluster at ``address``, else a
    local Ray started for the sweep (``batch.ray_for_job``). Returns the ranked trials,
    written to ``out/sweep.parquet``. A failing trial is reported in the table's ``error``
    column while the others finish.
    """
    if part not in PARTS:
        raise NotFound("model", part, PARTS)
    spec = load_spec(spec)
    from orchestria_lab.batch import runner

    runner.resolve_engine("ray", address=address)  # says how to install Ray when it is missing
    out = prepare_out(out, force=force)
    from ray import tune
    from ray.tune.search.basic_variant import BasicVariantGenerator

    env = {k: v for k, v in os.environ.items()
           if k.startswith(runner.FORWARDED_ENV_PREFIX) and k not in runner.NOT_FORWARDED}
    trainable = tune.with_resources(
        tune.with_parameters(_trial, part=part, spec=spec.to_dict(), out=str(out), env=env),
        {"cpu": spec.cpus_per_trial})
    with runner.ray_for_job(address=address):
        tuner = tune.Tuner(
            trainable, param_space=spec.param_space(),
            tune_config=tune.TuneConfig(num_samples=spec.trials,
                                        search_alg=BasicVariantGenerator(random_state=spec.seed),
                                        trial_dirname_creator=lambda trial: trial.trial_id),
            run_config=tune.RunConfig(name=TUNE_DIR, storage_path=str(out), verbose=0,
                                      callbacks=[_progress_callback(spec.count, spec.metric, progress)]))
        grid = tuner.fit()
        rows = [_row(part, spec, Path(result.path).name, result.config or {}, result.metrics or {}, result.error)
                for result in grid]
    table = ranked(pd.DataFrame(rows), spec.metric)
    path = out / TABLE_FILE
    table.to_parquet(path, index=False)
    return SweepResult(table=table, metric=spec.metric, path=path, spec=spec)


def _row(part: str, spec: SweepSpec, trial_id: str, config: Mapping[str, Any], metrics: Mapping[str, Any],
         error: BaseException | None) -> dict[str, Any]:
    resolved = resolved_settings(part, spec.preset, {k: v for k, v in config.items() if k != "seed"})
    done = error is None and "test_nll" in metrics
    return {"trial_id": trial_id, **{m: metrics.get(m) if done else None for m in METRICS},
            **resolved["settings"], **resolved["model"], "seed": config.get("seed", spec.seed),
            "epochs_trained": metrics.get("epoch"), "parameters": metrics.get("parameters"),
            "seconds": metrics.get("seconds"), "licence": metrics.get("licence"),
            "checkpoint": metrics.get("checkpoint") if done else None,
            "error": None if done else _describe(error)}


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "the trial ended without its final report"
    cause = getattr(error, "cause", None) or error  # a Ray task error wraps the trial's own
    return f"{type(cause).__name__}: {cause}".splitlines()[0]


def ranked(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``table`` sorted by ``metric`` (lowest first, failed trials last) with a ``rank`` column
    in front (1 is the best; none for a failed trial).

    >>> ranked(pd.DataFrame({"trial_id": ["a", "b", "c"], "valid_nll": [2.0, None, 1.5]}), "valid_nll")
       rank trial_id  valid_nll
    0     1        c        1.5
    1     2        a        2.0
    2  <NA>        b        NaN
    """
    table = table.sort_values(metric, kind="stable", na_position="last").reset_index(drop=True)
    rank = pd.array(range(1, len(table) + 1), dtype="Int64")
    rank[table[metric].isna().to_numpy()] = pd.NA
    return table.assign(rank=rank)[["rank", *table.columns]]
