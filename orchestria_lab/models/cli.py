"""``orchestria train``: ``train prepare`` builds the token arrays; ``train <part>`` trains a model.

A trained checkpoint goes to ``--out`` (default ``./out/checkpoints``, which git ignores), never
over an existing one unless ``--force``: the shipped checkpoints in ``data/checkpoints`` change
only when asked. ``train <part> --sweep SPEC`` runs a Ray Tune search instead
(:mod:`orchestria_lab.models.sweep`): the trials go to ``--out`` (default
``./out/sweeps/<part>``), never into ``data/checkpoints``, replacing an earlier sweep only
with ``--force``.

>>> parser = argparse.ArgumentParser(prog="orchestria")
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["train", "drums", "--sweep", "spec.json", "--address", "auto"])
>>> args.sweep, args.address, args.preset
('spec.json', 'auto', None)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from orchestria_lab.models.generate import GENERATORS
from orchestria_lab.models.licences import CORPORA

DEFAULT_OUT = Path("out") / "checkpoints"
DEFAULT_SWEEP_OUT = Path("out") / "sweeps"
#: What a sweep's spec says instead: these options are refused with --sweep.
SPEC_OPTIONS = {"preset": "preset", "epochs": "space.epochs", "seed": "seed", "corpus": "corpus"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="prepare the corpora (train prepare) or train a generator model (train melody)",
        description="`train prepare` reads music21's corpus and data/drums into data/corpus/*.npz; "
                    "`train PART` trains the harmony, melody, bass or drums model into --out "
                    "(./out/checkpoints unless given; the shipped ones are in data/checkpoints).")
    parser.add_argument("target", choices=("prepare", *GENERATORS, "all"), help="prepare, a generator, or all four")
    parser.add_argument("--corpus", choices=tuple(CORPORA), default=None,
                        help="training data: default (no non-commercial data), or essen to add the Essen "
                             "folksongs (non-commercial use only: the card says so and the checkpoint is not "
                             "loaded unless ORCHESTRIA_ALLOW_NONCOMMERCIAL=1)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: the preset's)")
    parser.add_argument("--preset", choices=("debug", "full"), default=None,
                        help="model size (default full; debug trains in seconds)")
    parser.add_argument("--seed", type=int, default=None, help="seed of initialisation, augmentation and batches (default 0)")
    parser.add_argument("--out", default=None, help=f"checkpoint folder (default: ./{DEFAULT_OUT}; "
                                                    f"with --sweep ./{DEFAULT_SWEEP_OUT}/PART)")
    parser.add_argument("--force", action="store_true", help="overwrite checkpoints (or a sweep) already in --out")
    parser.add_argument("--sweep", metavar="SPEC",
                        help='search hyperparameters with Ray Tune: a JSON file or inline JSON such as '
                             '\'{"preset": "debug", "trials": 4, "metric": "valid_nll", '
                             '"space": {"lr": {"loguniform": [0.001, 0.03]}, "hidden": {"choice": [16, 32]}}}\'')
    parser.add_argument("--address", metavar="ADDR",
                        help="with --sweep: join the Ray cluster at ADDR (host:port, or 'auto') instead of a local Ray")
    parser.add_argument("--workers", type=int, default=2, help="processes reading the corpus (prepare)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (training)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.target == "prepare":
        from orchestria_lab.models import readme
        from orchestria_lab.models.corpus import prepare

        record = prepare(workers=args.workers)
        readme.write()
        for name, info in record["files"].items():
            print(f"{name}: {info['pieces']} pieces, {info['steps']} tokens, {info['bytes']} bytes, sha256 {info['sha256'][:16]}")
        return 0
    from orchestria_lab.errors import InvalidValue

    if args.sweep is not None:
        return run_sweep_command(args)
    if args.address is not None:
        raise InvalidValue("--address", args.address, "no --address without --sweep (training runs in this process)")
    parts = GENERATORS if args.target == "all" else (args.target,)
    out = Path(args.out) if args.out is not None else DEFAULT_OUT
    existing = [str(out / f"{part}.pt") for part in parts if (out / f"{part}.pt").exists()]
    if existing and not args.force:
        raise InvalidValue("--out", str(out), f"a folder without {', '.join(existing)}, or --force to overwrite")
    import torch

    from orchestria_lab.models import readme
    from orchestria_lab.models.train import CHECKPOINT_DIR, train

    torch.set_num_threads(max(1, args.threads))
    for part in parts:
        result = train(part, preset=args.preset or "full", epochs=args.epochs, seed=args.seed or 0, out_dir=out,
                       corpus=args.corpus or "default")
        print(json.dumps({k: v for k, v in vars(result).items() if k != "history"}, indent=2))
        if out.resolve() == CHECKPOINT_DIR.resolve():
            readme.write()
    return 0


def run_sweep_command(args: argparse.Namespace) -> int:
    """``train PART --sweep SPEC``: the ranked table on stdout; 1 if any trial failed."""
    from orchestria_lab.errors import InvalidValue
    from orchestria_lab.models.sweep import load_spec, run_sweep

    if args.target not in GENERATORS:
        raise InvalidValue("target", args.target, "one model with --sweep: " + ", ".join(GENERATORS))
    for option, key in SPEC_OPTIONS.items():
        if getattr(args, option) is not None:
            raise InvalidValue(f"--{option}", getattr(args, option), f"no --{option} with --sweep: the spec's "
                               f'"{key}" says it')
    spec = load_spec(args.sweep)  # a bad spec is refused before Ray starts
    out = Path(args.out) if args.out is not None else DEFAULT_SWEEP_OUT / args.target
    result = run_sweep(args.target, spec, out, address=args.address, force=args.force)
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(result.table.drop(columns=["checkpoint"]).to_string(index=False))
    print(f"results: {result.path}")
    if len(result.failed) < len(result.table):
        best = result.best
        print(f"best: trial {best['trial_id']}, {result.metric} {best[result.metric]:.4f} nats/token, "
              f"checkpoint {best['checkpoint']}")
    for row in result.failed.itertuples():
        print(f"trial {row.trial_id} failed: {row.error}", file=sys.stderr)
    return 1 if len(result.failed) else 0
