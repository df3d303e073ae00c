"""``orchestria eval models [--json]``: the generator models against their baselines;
``orchestria eval commands SUITE.jsonl ... [--json]``: command suites (``eval/commands.py``).

Both run their sessions through the batch runner: in this process by default, on Ray with
``--batch`` (a local Ray started for the run, or the cluster at ``--address``), with the same
results.
"""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    from orchestria_lab.batch.cli import add_engine_arguments

    parser = subparsers.add_parser(
        "eval", help="evaluate the generator models (eval models) or command suites (eval commands)",
        description="models: held-out NLL of each model against an n-gram, and musical metrics of its parts "
                    "against the music-theory baseline and the corpus. commands: the pass rate of command "
                    "suites (JSONL, one case a line).")
    parser.add_argument("what", choices=("models", "commands"), help="what to evaluate")
    parser.add_argument("suites", nargs="*", metavar="SUITE", help="for commands: the suite files (JSONL)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per generator or suite")
    parser.add_argument("--seeds", type=int, default=3, help="models: sessions per condition and backend")
    add_engine_arguments(parser, serial_default=True)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from orchestria_lab.batch.cli import engine_of

    engine = {"engine": engine_of(args), "address": args.address, "workers": args.workers}
    if args.what == "commands":
        return _commands(args, engine)
    from orchestria_lab.errors import InvalidValue
    from orchestria_lab.eval.models import evaluate_models
    from orchestria_lab.eval.report import markdown

    if args.suites:
        raise InvalidValue("suites", args.suites, "none for eval models (suites are for eval commands)")
    records = evaluate_models(seeds=args.seeds, progress=not args.json, **engine)
    print(json.dumps(records, indent=2) if args.json else markdown(records))
    return 0


def _commands(args: argparse.Namespace, engine: dict) -> int:
    from contextlib import nullcontext

    from orchestria_lab.batch.runner import ray_for_job
    from orchestria_lab.errors import InvalidValue
    from orchestria_lab.eval.commands import SetupCache, run_suite

    if not args.suites:
        raise InvalidValue("suites", [], "one or more command suite files (JSONL)")
    cache = SetupCache()  # setups shared between the suites, when they run here
    # On Ray, one cluster for every suite, not one start per suite.
    on_ray = ray_for_job(address=engine["address"], num_cpus=engine["workers"]) if engine["engine"] == "ray" else nullcontext()
    with on_ray:
        results = [run_suite(path, cache=cache, progress=not args.json, **engine) for path in args.suites]
    if args.json:
        print(json.dumps([r.summary() for r in results]))
    else:
        print("\n".join(str(r) for r in results))
    return 0
