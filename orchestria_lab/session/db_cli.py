"""``orchestria db migrate [--url URL]`` (the sessions' schema and the REST service's tables) and ``orchestria db copy --from URL --to URL [--session ID ...]``.

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
from contextlib import closing

from orchestria_lab.paths import database_url
from orchestria_lab.session.service import service_store
from orchestria_lab.session.store import open_store, redact
from orchestria_lab.session.transfer import copy_sessions
from orchestria_lab.session.transfer import migrate as migrate_schema


def migrate_service(url: str) -> dict[str, int | None]:
    """Create or upgrade the REST service's tables (keys, limits, exports, ...) of the database at
    ``url``; ``{"found", "schema"}`` as for the sessions' schema. Idempotent.

    >>> import tempfile, os
    >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "m.db")
    >>> migrate_service(url), migrate_service(url)
    ({'found': None, 'schema': 1}, {'found': 1, 'schema': 1})
    """
    with closing(open_store(url)) as store:
        found, now = service_store(store, migrate=False).migrate()
    return {"found": found, "schema": now}


def migrate(args: argparse.Namespace) -> int:
    url = args.url or database_url()
    done = migrate_schema(url)
    done["service"] = migrate_service(url)
    if args.json:
        print(json.dumps(done))
        return 0
    for what, found, now in (("the schema", done["found"], done["schema"]),
                             ("the service tables", done["service"]["found"], done["service"]["schema"])):
        if found is None:
            print(f"{done['url']}: created {what} (version {now}).")
        elif found == now:
            print(f"{done['url']}: {what} is at version {now} already; nothing to do.")
        else:
            print(f"{done['url']}: upgraded {what} from version {found} to {now}.")
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
