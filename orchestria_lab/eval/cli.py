"""``orchestria eval models [--json]``: the generator models against their baselines."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval", help="evaluate the generator models (eval models)",
        description="Held-out NLL of each model against an n-gram, and musical metrics of its parts "
                    "against the music-theory baseline and the corpus.")
    parser.add_argument("what", choices=("models",), help="what to evaluate")
    parser.add_argument("--json", action="store_true", help="print one JSON object per generator")
    parser.add_argument("--seeds", type=int, default=3, help="sessions per condition and backend")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from orchestria_lab.eval.models import evaluate_models
    from orchestria_lab.eval.report import markdown

    records = evaluate_models(seeds=args.seeds, progress=not args.json)
    print(json.dumps(records, indent=2) if args.json else markdown(records))
    return 0
