"""The ``orchestria`` command: ``session``, ``demo``, ``serve``, ``keys``, ``train``, ``eval``, ``batch``, ``bench``.

Each area registers its own sub-commands (``register(subparsers)`` in its ``cli`` module),
so this file only assembles them. A toolkit error ends the command with ``error: ...`` on
stderr and exit status 2 (with ``--json``, also ``{"error": {...}}`` on stdout).

>>> build_parser().parse_args(["--version"])
Traceback (most recent call last):
...
SystemExit: 0
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from orchestria_lab import __version__

#: Modules that add sub-commands; each exposes ``register(subparsers)``.
SUBCOMMAND_MODULES = (
    "orchestria_lab.session_cli",
    "orchestria_lab.demo",
    "orchestria_lab.server.cli",
    "orchestria_lab.models.cli",
    "orchestria_lab.eval.cli",
    "orchestria_lab.batch.cli",
    "orchestria_lab.session.db_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orchestria", description="Orchestria Lab: AI music production by an orchestra of agents."
    )
    parser.add_argument("--version", action="version", version=f"orchestria-lab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMAND_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from orchestria_lab.errors import OrchestriaError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except OrchestriaError as exc:
        if getattr(args, "json", False):  # a script reading stdout gets the error as JSON too
            print(json.dumps({"error": exc.to_dict()}))
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
