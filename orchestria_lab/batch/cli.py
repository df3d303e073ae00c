"""``orchestria batch run FILE.jsonl --out DIR [--serial | --address ADDR] [--workers N] [--json]``.

Runs a batch file (:mod:`orchestria_lab.batch.sessions`) on a local Ray started for the run,
on the cluster at ``--address``, or with ``--serial`` in this process, and writes
``DIR/results.parquet``. The exit status is 0 when every item finished, 1 when any failed
(their errors are in the table and on stderr).

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="orchestria")
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["batch", "run", "songs.jsonl", "--out", "out/batch", "--workers", "2"])
>>> args.file, args.out, engine_of(args), args.workers
('songs.jsonl', 'out/batch', 'auto', 2)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def add_engine_arguments(parser: argparse.ArgumentParser, *, serial_default: bool) -> None:
    """The runner's options: where the work runs (``--serial`` or ``--batch``), ``--address``, ``--workers``."""
    if serial_default:
        parser.add_argument("--batch", action="store_true",
                            help="run the sessions on Ray: a local Ray started for the run, or --address's cluster")
    else:
        parser.add_argument("--serial", action="store_true",
                            help="run in this process, one item after another (the default when Ray is not installed)")
    parser.add_argument("--address", metavar="ADDR",
                        help="join the Ray cluster at ADDR (host:port, or 'auto') instead of starting a local one")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="Ray actors to run on (default: one per CPU of the cluster)")


def engine_of(args: argparse.Namespace) -> str:
    """The engine the runner options ask for: ``serial``, ``ray`` or ``auto``."""
    if hasattr(args, "batch"):  # serial by default: --batch or --address ask for Ray
        return "ray" if args.batch or args.address else "serial"
    return "serial" if args.serial else "auto"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch", help="run many sessions, on Ray or serially (batch run)",
        description="Run a batch file: each line makes a session, runs its commands and exports it. "
                    "Writes DIR/results.parquet, one row per line.")
    sub = parser.add_subparsers(dest="batch_command", metavar="VERB")
    sub.required = True
    run_parser = sub.add_parser("run", help="run a batch file (JSONL) into DIR")
    run_parser.add_argument("file", help='the batch file: one {"id", "session", "commands", "export"} a line')
    run_parser.add_argument("--out", required=True, metavar="DIR", help="where results.parquet and the items go")
    add_engine_arguments(run_parser, serial_default=False)
    run_parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    run_parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from orchestria_lab.batch.sessions import RESULTS_FILE, run_batch

    start = time.perf_counter()
    table = run_batch(args.file, args.out, engine=engine_of(args), address=args.address, workers=args.workers,
                      progress=not args.json)
    failed = table.loc[table["error"].notna(), ["id", "error"]]
    for row in failed.itertuples():
        print(f"{row.id}: {row.error}", file=sys.stderr)
    summary = {"results": str(Path(args.out) / RESULTS_FILE), "items": len(table),
               "failed": failed["id"].tolist(), "seconds": round(time.perf_counter() - start, 2)}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{len(table) - len(failed)} of {len(table)} items done in {summary['seconds']:g} s"
              f"{f', {len(failed)} failed' if len(failed) else ''}; results in {summary['results']}")
    return 1 if len(failed) else 0
