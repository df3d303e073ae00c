"""The server keeps what it keeps through the store interfaces: ``server/`` holds no SQL of its own
(the service store, ``session/service*.py``, holds the server's tables)."""

from __future__ import annotations

import re
from pathlib import Path

import orchestria_lab.server

SERVER = Path(orchestria_lab.server.__file__).parent
SQL = re.compile(r"\b(SELECT\s+\S+.*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                 r"CREATE\s+(TABLE|INDEX)|BEGIN\s+IMMEDIATE)\b|\.execute\(|\.transaction\(\)")


def test_the_server_package_holds_no_sql():
    found = [f"{path.relative_to(SERVER)}:{n}: {line.strip()}"
             for path in sorted(SERVER.rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if SQL.search(line)]
    assert found == []
