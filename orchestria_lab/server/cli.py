"""``orchestria serve``, ``orchestria gc`` and ``orchestria keys init|create|list|revoke``.

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="orchestria")
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["serve", "--port", "8123"])
>>> args.host, args.port, args.func is serve
('127.0.0.1', 8123, True)

Reading keys from a database that is not there is refused, naming the path, rather than
making an empty one (which would list no keys and look like a lost database):

>>> import os, tempfile
>>> os.environ["ORCHESTRIA_DB"] = os.path.join(tempfile.mkdtemp(), "missing.db")
>>> existing_store(_MAKE_KEYS_DB)
Traceback (most recent call last):
...
orchestria_lab.errors.StoreError: There is no database at .../missing.db (from ORCHESTRIA_DB). ...
>>> os.path.exists(os.environ.pop("ORCHESTRIA_DB"))
False
"""

from __future__ import annotations

import argparse
import os

from orchestria_lab.errors import StoreError
from orchestria_lab.paths import database_url, default_db_path
from orchestria_lab.session.store import Store, default_store, redact


def existing_store(make_one: str) -> Store:
    """The default store, if its database exists; else a :class:`StoreError` that names the
    path, where it came from, and how to point at the right one (``make_one`` says how to start one).

    Opening a SQLite store makes its file, so commands that only read or change what is
    there call this instead of :func:`default_store` (a PostgreSQL database is there or not: its
    store says which when it connects).
    """
    if not database_url().startswith("sqlite:///"):
        return default_store()
    path = default_db_path()
    if not path.exists():
        source = "from ORCHESTRIA_DB" if os.environ.get("ORCHESTRIA_DB") else "the default: ORCHESTRIA_DB is not set"
        raise StoreError(f"There is no database at {path.resolve()} ({source}). Set ORCHESTRIA_DB to the "
                         f"database you mean, {make_one}.", path=str(path.resolve()))
    return default_store()


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    print(f"Orchestria Lab API on http://{args.host}:{args.port}/v1 (docs: /docs), "
          f"database {_where()}", flush=True)
    uvicorn.run("orchestria_lab.server.app:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level=args.log_level)
    return 0


def _where() -> str:
    url = database_url()
    return str(default_db_path().resolve()) if url.startswith("sqlite:///") else redact(url)


def keys_create(args: argparse.Namespace) -> int:
    from orchestria_lab.server.keys import create_key

    new = create_key(default_store(), args.account)
    print(f"Created {new.key_id} for account {new.account}. The key is shown once; keep it secret:")
    print(new.key)
    return 0


def keys_init(args: argparse.Namespace) -> int:
    from orchestria_lab.server.downloads import init_key_file
    from orchestria_lab.server.settings import Settings

    path = Settings.from_env().key_file
    init_key_file(path)
    print(f"Made the URL signing secret in {path} (mode 0600). Every server process that signs or "
          f"checks download URLs needs this file, or ORCHESTRIA_SECRET.")
    return 0


def gc(args: argparse.Namespace) -> int:
    from orchestria_lab.server.disk import collect
    from orchestria_lab.server.settings import Settings
    from orchestria_lab.server.tables import ensure_tables
    from orchestria_lab.session.session import now_iso

    settings, store = Settings.from_env(), default_store()
    ensure_tables(store)
    done = collect(store, settings.data_dir, render_cache_mb=settings.render_cache_mb, now=now_iso())
    print(f"{done} under {settings.data_dir} (render cache cap {settings.render_cache_mb} MB, "
          f"exports kept {settings.export_ttl_days} days)")
    return 0


#: How to make a keys database where there is none (``keys create`` makes it).
_MAKE_KEYS_DB = "or run `orchestria keys create --account NAME` first to make one"


def keys_list(args: argparse.Namespace) -> int:
    from orchestria_lab.server.keys import list_keys

    table = list_keys(existing_store(_MAKE_KEYS_DB), account=args.account)
    print(table.to_string(index=False) if len(table) else "No keys yet: orchestria keys create --account NAME")
    return 0


def keys_revoke(args: argparse.Namespace) -> int:
    from orchestria_lab.server.keys import revoke_key

    revoke_key(existing_store(_MAKE_KEYS_DB), args.key_id)
    print(f"Revoked {args.key_id}.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``serve`` and ``keys`` to the ``orchestria`` command."""
    p = subparsers.add_parser("serve", help="run the REST API (uses ORCHESTRIA_DB and ORCHESTRIA_DATA_DIR)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--workers", type=int, default=1, help="server processes sharing the database (default: 1)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=serve)

    prune = subparsers.add_parser("gc", help="trim the render cache to its cap and remove expired or orphaned "
                                             "exports (the server does this as it goes)")
    prune.set_defaults(func=gc)
    keys = subparsers.add_parser("keys", help="create, list and revoke API keys")
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    actions.required = True
    create = actions.add_parser("create", help="make a key for an account; prints it on the last line")
    create.add_argument("--account", required=True, help="the account the key acts for")
    create.set_defaults(func=keys_create)
    init = actions.add_parser("init", help="make the URL signing secret file (mode 0600, ORCHESTRIA_SECRET_FILE "
                                          "or <data dir>/url_signing.key)")
    init.set_defaults(func=keys_init)
    listing = actions.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--account", default=None, help="only this account's keys")
    listing.set_defaults(func=keys_list)
    revoke = actions.add_parser("revoke", help="revoke a key by its id (key_...)")
    revoke.add_argument("key_id")
    revoke.set_defaults(func=keys_revoke)
