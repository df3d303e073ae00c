"""``orchestria train``: ``train prepare`` builds the token arrays; ``train <part>`` trains a model.

A trained checkpoint goes to ``--out`` (default ``./out/checkpoints``, which git ignores), never
over an existing one unless ``--force``: the shipped checkpoints in ``data/checkpoints`` change
only when asked.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from orchestria_lab.models.generate import GENERATORS
from orchestria_lab.models.licences import CORPORA

DEFAULT_OUT = Path("out") / "checkpoints"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="prepare the corpora (train prepare) or train a generator model (train melody)",
        description="`train prepare` reads music21's corpus and data/drums into data/corpus/*.npz; "
                    "`train PART` trains the harmony, melody, bass or drums model into --out "
                    "(./out/checkpoints unless given; the shipped ones are in data/checkpoints).")
    parser.add_argument("target", choices=("prepare", *GENERATORS, "all"), help="prepare, a generator, or all four")
    parser.add_argument("--corpus", choices=tuple(CORPORA), default="default",
                        help="training data: default (no non-commercial data), or essen to add the Essen "
                             "folksongs (non-commercial use only: the card says so and the checkpoint is not "
                             "loaded unless ORCHESTRIA_ALLOW_NONCOMMERCIAL=1)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: the preset's)")
    parser.add_argument("--preset", choices=("debug", "full"), default="full", help="model size (debug trains in seconds)")
    parser.add_argument("--seed", type=int, default=0, help="seed of initialisation, augmentation and batches")
    parser.add_argument("--out", default=None, help=f"checkpoint folder (default: ./{DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true", help="overwrite checkpoints already in --out")
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
        result = train(part, preset=args.preset, epochs=args.epochs, seed=args.seed, out_dir=out, corpus=args.corpus)
        print(json.dumps({k: v for k, v in vars(result).items() if k != "history"}, indent=2))
        if out.resolve() == CHECKPOINT_DIR.resolve():
            readme.write()
    return 0
