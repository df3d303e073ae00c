"""A throwaway PostgreSQL cluster from the machine's own binaries, for the tests and the benchmarks.

:class:`LocalPostgres` runs ``initdb`` into a temporary folder and starts a server that listens
only on a unix socket there, with durability off (its data need not survive a crash: the tests
kill clients, never this server). PostgreSQL refuses to run as root, so under root the cluster
belongs to the ``postgres`` user (else ``nobody``). Nothing here is used by a running studio:
a team's server is named by ``ORCHESTRIA_DATABASE_URL``.

>>> LocalPostgres.bindir() is None or (LocalPostgres.bindir() / "pg_ctl").exists()
True
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from orchestria_lab.errors import StoreError

__all__ = ["MISSING", "LocalPostgres"]

#: What to do when the binaries are not there.
MISSING = (
    "A local PostgreSQL needs PostgreSQL's server binaries (initdb, pg_ctl, postgres), and they were not found "
    "(looked in ORCHESTRIA_PG_BIN where it is set, else on PATH and under /usr/lib/postgresql/*/bin). On Debian or Ubuntu "
    "install them with `sudo apt-get install -y postgresql` (.ci/run does this when they are missing); elsewhere install "
    "PostgreSQL 13 or later and put its bin folder on PATH or in ORCHESTRIA_PG_BIN."
)


class LocalPostgres:
    """A PostgreSQL cluster of its own in a temporary folder (see the module): :meth:`start`,
    :meth:`new_database` as often as needed, :meth:`stop` (which removes the folder)."""

    def __init__(self, *, prefix: str = "orchestria-pg-") -> None:
        found = self.bindir()
        if found is None:
            raise StoreError(MISSING)
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self._names = itertools.count()
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
            if user is None:
                raise StoreError("PostgreSQL will not run as root, and there is no postgres or nobody user to run it as.")
            shutil.chown(self.root, user)
            self._as = ["runuser", "-u", user, "--"]

    @staticmethod
    def bindir() -> Path | None:
        """The folder of initdb and pg_ctl: ORCHESTRIA_PG_BIN if set (and then only it), else the one on
        PATH, else Debian's newest /usr/lib/postgresql/N/bin; None when there is none."""
        if os.environ.get("ORCHESTRIA_PG_BIN"):
            candidates = [os.environ["ORCHESTRIA_PG_BIN"]]
        else:
            found = shutil.which("pg_ctl")
            candidates = [found and str(Path(found).resolve().parent),
                          *sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name),
                                  reverse=True)]
        for folder in filter(None, candidates):
            if all((Path(folder) / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
                return Path(folder)
        return None

    def _run(self, *args: str) -> None:
        ran = subprocess.run([*self._as, *args], capture_output=True, text=True)
        if ran.returncode != 0:
            log = self.log.read_text()[-3000:] if self.log.exists() else ""
            raise StoreError(f"{' '.join(args[:2])} failed ({ran.returncode}): {ran.stderr.strip()}\n{log}")

    def start(self) -> LocalPostgres:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        settings = (f"-c listen_addresses='' -c unix_socket_directories='{self.root}' -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", settings, "start")
        return self

    def stop(self) -> None:
        subprocess.run([*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.root}"

    def new_database(self, prefix: str = "db") -> str:
        """The URL of a new, empty database."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
