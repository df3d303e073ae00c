"""``orchestria serve --workers N`` on PostgreSQL: several server processes on one database, and a
worker killed with SIGKILL under load loses no version it acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from orchestria_lab.server.keys import create_key
from orchestria_lab.session.store import open_store

from .conftest import ROOT, free_port

pytestmark = pytest.mark.backends

NEW_SESSION = {"bpm": 90, "key": "Cm", "genre": "lo-fi"}
COMMANDS = ("add a boom bap drum beat", "add an 808 bass", "add warm piano chords", "make the chords brighter")


def worker_pids(pid: int) -> list[int]:
    """The worker processes of the ``orchestria serve`` process ``pid`` (its children, from /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return sorted(int(c) for c in children if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text())


@pytest.fixture
def workers(backend, request, tmp_path):
    """``orchestria serve --workers 2`` on a fresh database of ``backend``: (url, process, store)."""
    database = (f"sqlite:///{tmp_path / 'orchestria.db'}" if backend == "sqlite"
                else request.getfixturevalue("postgres_url"))
    port = free_port()
    env = {**os.environ, "ORCHESTRIA_DATABASE_URL": database, "ORCHESTRIA_DATA_DIR": str(tmp_path / "data"),
           "ORCHESTRIA_REQUESTS_PER_MINUTE": "1000000", "ORCHESTRIA_COMMANDS_PER_ACCOUNT": "100"}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "orchestria_lab.cli", "serve", "--port", str(port),
                                 "--workers", "2", "--log-level", "warning"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(url + "/openapi.json", timeout=2).status_code == 200 and len(worker_pids(proc.pid)) == 2:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"orchestria serve --workers 2 did not start in 120 s:\n{log.read_text()}"
        time.sleep(0.2)
    store = open_store(database)
    yield url, proc, store
    store.close()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_two_workers_share_one_database(workers):
    url, proc, store = workers
    key = create_key(store, "team").key
    headers = {"Authorization": f"Bearer {key}"}
    made = {httpx.post(url + "/v1/sessions", json=NEW_SESSION, headers=headers, timeout=60).json()["id"]
            for _ in range(4)}  # new connections: the kernel hands them to either worker
    listed = httpx.get(url + "/v1/sessions", headers=headers, timeout=60).json()
    assert made <= {s["id"] for s in listed} and len(worker_pids(proc.pid)) == 2


def test_a_worker_killed_under_load_loses_no_acknowledged_version(workers):
    url, proc, store = workers
    key = create_key(store, "load").key
    headers = {"Authorization": f"Bearer {key}"}
    clients, per_client = 3, 5
    sids = [httpx.post(url + "/v1/sessions", json=NEW_SESSION, headers=headers, timeout=60).json()["id"]
            for _ in range(clients)]
    acknowledged: list[tuple[str, int, str]] = []
    statuses: list[int] = []
    lock = threading.Lock()
    first_answers = threading.Event()

    def client(n: int) -> None:
        done = 0
        with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
            while done < per_client:
                text = COMMANDS[done % len(COMMANDS)]
                try:
                    answer = http.post(f"/v1/sessions/{sids[n]}/command", json={"text": text})
                except httpx.TransportError:  # the killed worker's connection: not acknowledged, sent again
                    continue
                with lock:
                    statuses.append(answer.status_code)
                if answer.status_code == 409:  # its session's slot, still held a moment by the dead worker
                    time.sleep(0.2)
                    continue
                if answer.is_success:
                    with lock:
                        acknowledged.append((sids[n], answer.json()["version"], text))
                        if len(acknowledged) >= clients:
                            first_answers.set()
                done += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    assert first_answers.wait(300), "no commands were answered"
    victim = worker_pids(proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    for t in threads:
        t.join(600)
    assert not any(t.is_alive() for t in threads)
    assert victim not in worker_pids(proc.pid)

    assert [s for s in statuses if s >= 500] == []
    assert len(acknowledged) >= clients
    for sid in sids:
        records = store.records(sid)
        versions = [r.version for r in records]
        assert versions == list(range(len(versions)))  # contiguous, each once
        by_version = {r.version: r.command for r in records}
        for s, version, text in acknowledged:
            if s == sid:
                assert by_version.get(version) == text  # every acknowledged version is there, as answered
    mine = sorted((s, v) for s, v, _ in acknowledged)
    assert len(mine) == len(set(mine))  # no version acknowledged twice
