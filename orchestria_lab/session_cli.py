"""``orchestria session create|command|show|export|rollback|list``: sessions from the shell.

The same verbs as :class:`~orchestria_lab.session.session.Session`, on the local store
(``ORCHESTRIA_DB``, else ``./orchestria.db``) or, with ``--server URL`` (or
``ORCHESTRIA_SERVER``) and ``--api-key KEY`` (or ``ORCHESTRIA_API_KEY``), on a server through
:class:`~orchestria_lab.client.Client`. ``--key`` stays the song's key, as in
``create --key Cm``. Plain output is for people, except that ``create`` prints only the new
id, so that ``ID=$(orchestria session create ...)`` works; ``--json`` prints one JSON document
and nothing else on stdout (an error too: ``{"error": {"code", "message", ...}}``). Notes and
progress go to stderr.

This module sits at the top, beside ``cli.py`` and ``client.py``, not in ``session/``: with
``--server`` it goes through the client, and the client imports ``session/`` (its version
records and diff columns). ``session/`` lies below the client, the server and the CLI, and a
late import inside a function is still an import (``tests/foundation/test_layers.py`` reads
them at any depth), so a ``session/cli.py`` would point a dependency upward.

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="orchestria")
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["session", "export", "ses_0123456789abcdef", "out/mix.wav", "--loudness", "-12"])
>>> args.func is export, args.loudness, args.stems, args.server
(True, -12.0, False, None)
>>> parser.parse_args(["session", "create", "--bpm", "90", "--key", "Cm", "--genre", "lo-fi"]).bpm
90
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pandas as pd

from orchestria_lab.errors import NotFound, OrchestriaError
from orchestria_lab.session.session import Session

if TYPE_CHECKING:
    from orchestria_lab.client import Client, RemoteSession

#: How to start a local store where there is none (see ``server.cli.existing_store``).
_MAKE_SESSIONS_DB = ("pass --server URL (or set ORCHESTRIA_SERVER) for a server's sessions, or run "
                     "`orchestria session create --bpm 90 --key Cm --genre lo-fi` first to make one")
STEM_COLUMNS = ["stem_id", "role", "instrument", "agent", "effects", "gain_db", "pan", "muted", "solo",
                "loudness_lufs"]
VERSION_COLUMNS = ["version", "parent", "kind", "command", "summary"]


# where the sessions are --------------------------------------------------------------------
class _LocalSessions:
    """The sessions in the local store; only ``create`` may make the database."""

    def __init__(self, *, create: bool) -> None:
        from orchestria_lab.server.cli import existing_store
        from orchestria_lab.session.store import default_store

        self.store = default_store() if create else existing_store(_MAKE_SESSIONS_DB)
        self.where = f"the store {self.store.path}"

    def create(self, **settings: Any) -> Session:
        return Session.create(store=self.store, **settings)

    def open(self, session_id: str) -> Session:
        try:
            return Session.open(session_id, self.store)
        except NotFound as exc:
            if exc.details.get("kind") != "session":
                raise
            raise _unknown_session(session_id, self.list()["id"], self.where) from None

    def list(self) -> pd.DataFrame:
        rows = [{"id": sid, "version": self.store.head(sid), "created_at": self.store.session_info(sid)["created_at"]}
                for sid in self.store.list_sessions()]
        return pd.DataFrame(rows, columns=["id", "version", "created_at"])


class _RemoteSessions:
    """The sessions of one API key's account on a server."""

    def __init__(self, client: Client) -> None:
        self.client, self.where = client, f"the server {client.base_url} (this key's account)"

    def create(self, **settings: Any) -> RemoteSession:
        return self.client.create(**settings)

    def open(self, session_id: str) -> RemoteSession:
        try:
            return self.client.open(session_id)
        except NotFound as exc:
            if exc.details.get("kind") != "session":
                raise
            raise _unknown_session(session_id, self.list()["id"], self.where) from None

    def list(self) -> pd.DataFrame:
        return self.client.sessions()


def _unknown_session(session_id: str, available: pd.Series, where: str) -> NotFound:
    """``NotFound`` listing the sessions there are, and saying where it looked."""
    err = NotFound("session", session_id, list(available))
    OrchestriaError.__init__(err, f"{err.message} Looked in {where} (ORCHESTRIA_DB or --server looks "
                                  "elsewhere).", **err.details)
    return err


@contextmanager
def _sessions(args: argparse.Namespace, *, create: bool = False) -> Iterator[_LocalSessions | _RemoteSessions]:
    """The local store, or the server that ``--server``/``ORCHESTRIA_SERVER`` names (a server
    that cannot be reached raises the client's ``ServerUnreachable``, naming it)."""
    server = args.server or os.environ.get("ORCHESTRIA_SERVER")
    if not server:
        if args.api_key:
            raise OrchestriaError("--api-key is a server's key: add --server URL (or set ORCHESTRIA_SERVER), "
                                  "or leave it out to use the local store.")
        yield _LocalSessions(create=create)
        return
    key = args.api_key or os.environ.get("ORCHESTRIA_API_KEY")
    if not key:
        raise OrchestriaError(f"The server {server} needs an API key: pass --api-key KEY or set "
                              "ORCHESTRIA_API_KEY (make one where the server runs: "
                              "`orchestria keys create --account NAME`).")
    from orchestria_lab.client import Client

    with Client(server, key) as client:
        yield _RemoteSessions(client)


# output ------------------------------------------------------------------------------------
def _print_json(value: Any) -> None:
    from orchestria_lab.server.resources import plain

    print(json.dumps(plain(value), indent=2, allow_nan=False))


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    from orchestria_lab.server.resources import records

    return records(table)


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def describe(meta: dict[str, Any]) -> str:
    """A session's settings in one line.

    >>> describe({"bpm": 90, "key": "Cm", "genre": "lo-fi", "time_signature": "4/4", "bars": 8,
    ...           "sample_rate": 44100, "seed": 7})
    '90 bpm, Cm, lo-fi, 4/4, 8 bars, 44100 Hz, seed 7'
    """
    return (f"{meta['bpm']} bpm, {meta['key']}, {meta['genre']}, {meta['time_signature']}, {meta['bars']} bars, "
            f"{meta['sample_rate']} Hz, seed {meta['seed']}")


def _table(df: pd.DataFrame) -> str:
    with pd.option_context("display.width", 200, "display.max_colwidth", 70):
        return df.to_string(index=False)


# the commands ------------------------------------------------------------------------------
def create(args: argparse.Namespace) -> int:
    with _sessions(args, create=True) as sessions:
        session = sessions.create(bpm=args.bpm, key=args.key, genre=args.genre, time_signature=args.time_signature,
                                  bars=args.bars, sample_rate=args.sample_rate, seed=args.seed)
        where = sessions.where
    if args.json:
        _print_json({"id": session.id, "version": session.version, "meta": session.meta})
    else:
        _note(f"Made {session.id} in {where}: {describe(session.meta)}")
        print(session.id)
    return 0


def command(args: argparse.Namespace) -> int:
    with _sessions(args) as sessions:
        result = sessions.open(args.id).command(args.text, dry_run=args.dry_run)
    done = result.to_dict()
    if args.json:
        _print_json({"version": result.version, "message": result.message, "dry_run": args.dry_run,
                     "plan": done["plan"], "diff": done["diff"]})
    elif args.dry_run:
        print(f"v{result.version}  {result.message} (nothing stored)")
        for step in done["plan"]:
            print(f"  {step['agent']}: {step['intent']} {step['target']} {json.dumps(step['params'])}")
    else:
        print(f"v{result.version}  {result.message}")
    return 0


def _at(session: Session | RemoteSession, version: int) -> tuple[dict[str, Any], pd.DataFrame]:
    """The meta and stems table of ``version``."""
    if version == session.version:
        return session.meta, session.stems
    view = session.at(version)
    return view.meta, view.stems


def show(args: argparse.Namespace) -> int:
    with _sessions(args) as sessions:
        session = sessions.open(args.id)
        version = session.version if args.version is None else args.version
        meta, stems = _at(session, version)
        versions = session.versions
    if args.json:
        _print_json({"id": session.id, "version": version, "meta": meta, "stems": _records(stems),
                     "versions": _records(versions)})
        return 0
    current = "" if version == session.version else f" (current: v{session.version})"
    print(f"{session.id} v{version}{current}: {describe(meta)}")
    if meta.get("sections"):
        print("sections: " + ", ".join(f"{s['name']} (bars {s['start_bar']}-{s['start_bar'] + s['bars'] - 1})"
                                       for s in meta["sections"]))
    print("\nstems:")
    if len(stems):
        shown = stems[STEM_COLUMNS].assign(effects=[", ".join(e["type"] for e in fx) or "-" for fx in stems["effects"]])
        print(_table(shown))
    else:
        print(f'  none yet: orchestria session command {session.id} "add drums"')
    print("\nversions:")
    print(_table(versions[VERSION_COLUMNS].astype(object).fillna("-")))
    return 0


def export(args: argparse.Namespace) -> int:
    with _sessions(args) as sessions:
        session = sessions.open(args.id)
        version = session.version if args.version is None else args.version
        _note(f"Exporting v{version} of {session.id} ...")
        written = session.export(args.path, stems=args.stems, version=args.version, format=args.format,
                                 loudness=args.loudness)
    if args.json:
        _print_json({"id": session.id, "version": version, "files": [str(p) for p in written]})
    else:
        print("\n".join(str(p) for p in written))
    return 0


def rollback(args: argparse.Namespace) -> int:
    with _sessions(args) as sessions:
        record = sessions.open(args.id).rollback(args.version)
    if args.json:
        _print_json(record.to_dict())
    else:
        print(f"v{record.version}  restores v{record.restores}: {record.summary}")
    return 0


def list_sessions(args: argparse.Namespace) -> int:
    with _sessions(args) as sessions:
        table, where = sessions.list(), sessions.where
    if args.json:
        _print_json(_records(table))
    elif len(table):
        print(_table(table))
    else:
        _note(f"No sessions in {where} yet: orchestria session create --bpm 90 --key Cm --genre lo-fi")
    return 0


# the parser --------------------------------------------------------------------------------
def _number(text: str) -> int | float:
    """A number as given: ``90`` stays a whole number, ``92.5`` a fraction."""
    value = float(text)
    return int(value) if value.is_integer() else value


def _loudness(text: str) -> float | str:
    """A loudness target: a number of LUFS, or a name (the library says which names it knows)."""
    try:
        return float(text)
    except ValueError:
        return text


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``session`` and its actions to the ``orchestria`` command."""
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--json", action="store_true", help="print JSON, and only JSON, on stdout")
    where.add_argument("--server", metavar="URL", default=None,
                       help="a server's base URL (default: ORCHESTRIA_SERVER; if neither, the local store "
                            "ORCHESTRIA_DB, else ./orchestria.db)")
    where.add_argument("--api-key", metavar="KEY", default=None,
                       help="the server's API key (default: ORCHESTRIA_API_KEY)")

    p = subparsers.add_parser("session", help="make, edit, show, export and roll back sessions (local or --server)",
                              description="Sessions from the shell: the local store (ORCHESTRIA_DB) or a server "
                                          "(--server URL --api-key KEY, or ORCHESTRIA_SERVER and ORCHESTRIA_API_KEY).")
    actions = p.add_subparsers(dest="session_command", metavar="ACTION")
    actions.required = True

    made = actions.add_parser("create", parents=[where], help="open a new session; prints its id")
    made.add_argument("--bpm", type=_number, required=True, help="tempo, 20 to 300")
    made.add_argument("--key", required=True, help="the song's key: Cm, F#, 'c minor' ...")
    made.add_argument("--genre", required=True, help="lo-fi, house, pop, boom bap ...")
    made.add_argument("--bars", type=int, default=8, help="length in bars (default: 8)")
    made.add_argument("--time-signature", default="4/4", help="(default: 4/4)")
    made.add_argument("--sample-rate", type=int, default=44100, help="(default: 44100)")
    made.add_argument("--seed", type=int, default=None, help="seed of every version's randomness (default: random)")
    made.set_defaults(func=create)

    said = actions.add_parser("command", parents=[where], help="run a command in words; prints the new version")
    said.add_argument("id", metavar="ID")
    said.add_argument("text", metavar="TEXT", help='what to do, e.g. "add drums"')
    said.add_argument("--dry-run", action="store_true", help="show the plan and change nothing")
    said.set_defaults(func=command)

    shown = actions.add_parser("show", parents=[where], help="the session's settings, stems and versions")
    shown.add_argument("id", metavar="ID")
    shown.add_argument("--version", type=int, default=None, help="the version to show (default: the current one)")
    shown.set_defaults(func=show)

    out = actions.add_parser("export", parents=[where], help="write the mix or stems; prints the files written")
    out.add_argument("id", metavar="ID")
    out.add_argument("path", metavar="PATH", help="the file (its suffix names the format), or a folder with --stems")
    out.add_argument("--stems", action="store_true", help="one file per stem, in the folder PATH")
    out.add_argument("--format", choices=["wav", "flac", "mp3", "midi"], default=None,
                     help="(default: from the suffix of PATH)")
    out.add_argument("--version", type=int, default=None, help="the version to export (default: the current one)")
    out.add_argument("--loudness", type=_loudness, default=None, metavar="TARGET",
                     help="streaming (-16 LUFS), default (-14), club (-9), or LUFS from -30 to -6")
    out.set_defaults(func=export)

    back = actions.add_parser("rollback", parents=[where], help="a new version equal to an old one")
    back.add_argument("id", metavar="ID")
    back.add_argument("version", metavar="VERSION", type=int)
    back.set_defaults(func=rollback)

    listed = actions.add_parser("list", parents=[where], help="the sessions here: id, version, created_at")
    listed.set_defaults(func=list_sessions)
