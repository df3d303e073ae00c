"""The TypeScript SDK (``sdk/typescript``): its types match the server's schema, and its own
tests (``node --test``) pass against a real ``orchestria serve``.

Node 20 and npm are needed; without them the node test fails and says how to get them.
"""

from __future__ import annotations

import difflib
import doctest
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orchestria_lab.server.keys import create_key
from orchestria_lab.server.testing import loopback_socket
from orchestria_lab.session.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk" / "typescript"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_schema", SDK / "scripts" / "gen_schema.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_types_match_the_servers_schema():
    gen = _generator()
    expected = gen.render(gen.openapi())
    committed = gen.TARGET.read_text(encoding="utf-8")
    if committed != expected:
        diff = "\n".join(list(difflib.unified_diff(committed.splitlines(), expected.splitlines(),
                                                   "src/schema.ts", "from the schema", lineterm="", n=1))[:40])
        pytest.fail(f"sdk/typescript/src/schema.ts differs from the server's OpenAPI schema. Run\n"
                    f"  {gen.COMMAND}\nand commit the file. The difference:\n{diff}")


def test_the_generators_examples_hold():
    failed, tried = doctest.testmod(_generator())
    assert tried and not failed


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not on PATH: the TypeScript SDK's tests need Node.js 20+ and npm "
                    f"(Debian: `apt-get install nodejs npm`). They are not skipped, so a machine without "
                    f"them cannot pass as if it had tested the SDK.")
    return path


def _run(argv: list[str], *, what: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    done = subprocess.run(argv, cwd=SDK, env=env, capture_output=True, text=True, timeout=timeout)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(f"{what} failed (exit {done.returncode}):\n{output[-8000:]}")
    return output


def _installed(npm: str) -> None:
    """``npm ci``, only when node_modules is missing or older than package-lock.json."""
    modules, lock = SDK / "node_modules", SDK / "package-lock.json"
    if modules.is_dir() and modules.stat().st_mtime >= lock.stat().st_mtime:
        return
    _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], what="npm ci in sdk/typescript", timeout=300)
    modules.touch()  # npm ci may keep old mtimes; mark it as made from this lock file


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, str]]:
    """``(url, key)`` of an ``orchestria serve`` on a free loopback port, over a fresh database."""
    db = tmp_path / "orchestria.db"
    key = create_key(SQLiteStore(db), "sdk").key
    env = {**os.environ, "ORCHESTRIA_DB": str(db), "ORCHESTRIA_DATA_DIR": str(tmp_path / "data"),
           "ORCHESTRIA_REQUESTS_PER_MINUTE": "100000", "ORCHESTRIA_MAX_OPEN_SESSIONS": "1000",
           "ORCHESTRIA_EXPORTS_PER_DAY": "1000", "ORCHESTRIA_COMMANDS_PER_ACCOUNT": "16"}
    with loopback_socket() as sock:
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "orchestria_lab.cli", "serve", "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"orchestria serve exited ({proc.returncode}):\n{proc.stdout.read().decode()}")
            try:
                httpx.get(url + "/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("orchestria serve did not answer within 60 s")
                time.sleep(0.1)
        yield url, key
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_the_sdk_builds_and_its_node_tests_pass_against_a_real_server(served):
    node, npm = _tool("node"), _tool("npm")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        pytest.fail(f"node {version} is too old: the SDK needs Node.js 20+ (its global fetch, File, AbortSignal.any).")
    _installed(npm)
    shutil.rmtree(SDK / "dist", ignore_errors=True)  # no compiled test of a file since removed
    _run([npm, "run", "build", "--silent"], what="npm run build (tsc) in sdk/typescript")
    url, key = served
    tests = sorted(str(p.relative_to(SDK)) for p in (SDK / "dist" / "test").glob("*.test.js"))
    assert tests, "the build wrote no tests under sdk/typescript/dist/test"
    env = {**os.environ, "ORCHESTRIA_URL": url, "ORCHESTRIA_KEY": key}
    _run([node, "--test", "--test-reporter=spec", *tests], what="node --test (the SDK's tests)", env=env)
