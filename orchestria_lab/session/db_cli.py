"""``orchestria db migrate [--url URL]`` and ``orchestria db copy --from URL --to URL [--session ID ...]``.

URLs are ``sqlite:///PATH`` or ``postgresql://USER:PASSWORD@HOST:PORT/DB``; ``migrate`` defaults to
the configured database (``ORCHESTRIA_DATABASE_URL``, else ``ORCHESTRIA_DB``).

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="orchestria")
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["db", "copy", "--from", "sqlite:///a.db", "--to", "postgresql://db/team"])
>>> args.func is copy, args.source, args.target, args.sessions
(True, 'sqlite:///a.db', 'postgresql://db/team', None)
"""

from __future__ import annotations

import argparse
import json

from orchestria_lab.paths import database_url
from orchestria_lab.session.store import redact
from orchestria_lab.session.transfer import copy_sessions
from orchestria_lab.session.transfer import migrate as migrate_schema


def migrate(args: argparse.Namespace) -> int:
    done = migrate_schema(args.url or database_url())
    if args.json:
        print(json.dumps(done))
    elif done["found"] is None:
        print(f"{done['url']}: created the schema (version {done['schema']}).")
    elif done["found"] == done["schema"]:
        print(f"{done['url']}: the schema is at version {done['schema']} already; nothing to do.")
    else:
        print(f"{done['url']}: upgraded the schema from version {done['found']} to {done['schema']}.")
    return 0


def copy(args: argparse.Namespace) -> int:
    table = copy_sessions(args.source, args.target, session_ids=args.sessions)
    if args.json:
        print(table.to_json(orient="records"))
        return 0
    print(f"Copied {len(table)} sessions ({int(table['versions'].sum())} versions) from {redact(args.source)} "
          f"to {redact(args.target)}.")
    if len(table):
        print(table.to_string(index=False))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``db migrate`` and ``db copy`` to the ``orchestria`` command."""
    p = subparsers.add_parser("db", help="create or upgrade a database's schema; copy sessions between databases",
                              description="The session database: SQLite (sqlite:///PATH, the default) or "
                                          "PostgreSQL (postgresql://USER:PASSWORD@HOST:PORT/DB).")
    actions = p.add_subparsers(dest="db_command", metavar="ACTION")
    actions.required = True

    made = actions.add_parser("migrate", help="create or upgrade the schema (safe to run again)")
    made.add_argument("--url", default=None,
                      help="the database (default: ORCHESTRIA_DATABASE_URL, else sqlite:/// and ORCHESTRIA_DB)")
    made.add_argument("--json", action="store_true", help="print JSON on stdout")
    made.set_defaults(func=migrate)

    moved = actions.add_parser("copy", help="copy sessions, versions and hashes intact, into another database",
                               description="Copy sessions with every version, record and stem hash as stored. "
                                           "Refuses, copying nothing, if the target holds any of them already.")
    moved.add_argument("--from", dest="source", required=True, metavar="URL", help="the database to copy from")
    moved.add_argument("--to", dest="target", required=True, metavar="URL", help="the database to copy into")
    moved.add_argument("--session", dest="sessions", action="append", metavar="ID",
                       help="copy only this session (repeat for more; default: all)")
    moved.add_argument("--json", action="store_true", help="print one JSON record per session on stdout")
    moved.set_defaults(func=copy)
