"""``orchestria train``: ``train prepare`` builds the token arrays; ``train <part>`` trains a model."""

from __future__ import annotations

import argparse
import json

from orchestria_lab.models.generate import GENERATORS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="prepare the corpora (train prepare) or train a generator model (train melody)",
        description="`train prepare` reads music21's corpus and data/drums into data/corpus/*.npz; "
                    "`train PART` trains the harmony, melody, bass or drums model into data/checkpoints/.")
    parser.add_argument("target", choices=("prepare", *GENERATORS, "all"), help="prepare, a generator, or all four")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: the preset's)")
    parser.add_argument("--preset", choices=("debug", "full"), default="full", help="model size (debug trains in seconds)")
    parser.add_argument("--seed", type=int, default=0, help="seed of initialisation, augmentation and batches")
    parser.add_argument("--out", default=None, help="checkpoint folder (default: data/checkpoints)")
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
    import torch

    from orchestria_lab.models.train import CHECKPOINT_DIR, train

    torch.set_num_threads(max(1, args.threads))
    from orchestria_lab.models import readme

    for part in GENERATORS if args.target == "all" else (args.target,):
        result = train(part, preset=args.preset, epochs=args.epochs, seed=args.seed, out_dir=args.out or CHECKPOINT_DIR)
        print(json.dumps({k: v for k, v in vars(result).items() if k != "history"}, indent=2))
        if args.out is None:
            readme.write()
    return 0
