"""Run ``orchestria`` in this process and keep what it printed; real servers from tests/server."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from orchestria_lab.cli import main
from tests.server.conftest import backend, live_server_factory, server  # noqa: F401 - fixtures, re-exported


@dataclass(frozen=True)
class Ran:
    """What one ``orchestria`` command did: its exit status, stdout and stderr."""

    rc: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def no_server_from_the_environment(monkeypatch):
    """A test says which server it means; none comes from the shell that runs the suite."""
    monkeypatch.delenv("ORCHESTRIA_SERVER", raising=False)
    monkeypatch.delenv("ORCHESTRIA_API_KEY", raising=False)


@pytest.fixture
def orchestria(capsys):
    """``orchestria(*argv)``: run the command line in-process and return a :class:`Ran`
    (argparse's own exits, such as an unknown action, included)."""

    def run(*argv: str) -> Ran:
        capsys.readouterr()
        try:
            rc = main(list(argv))
        except SystemExit as exc:
            rc = exc.code
        out, err = capsys.readouterr()
        return Ran(rc, out, err)

    return run
