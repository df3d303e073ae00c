"""REST shim under load: concurrent clients on loopback, reads mixed with commands, against a real
``orchestria serve --workers N`` over PostgreSQL (or SQLite), for 1, 2 and 4 worker processes.

For each worker count: throughput; p50/p95 per endpoint class (commands that made a version (200),
commands refused because their session was running another (409 ``session_busy``, answered at
once), reads (200), and each read endpoint); the count of 5xx answers. Then it checks every
session's history: versions contiguous, each successful command's version unique and present with
its own text (nothing lost, nothing duplicated). Bounded: ``seconds`` of wall time and
``max_requests`` per client, whichever comes first.

PostgreSQL is a throwaway cluster started from the machine's own binaries (``initdb``/``pg_ctl``, as
the tests do) unless ``--database-url`` names one; each run gets a fresh database.

    python -m benchmarks.bench_load --seconds 10 --workers 1,2,4 --clients 32
    python -m benchmarks.bench_load --backend sqlite --workers 1
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.timing import percentile, table
from orchestria_lab.errors import StoreError
from orchestria_lab.server.keys import create_key
from orchestria_lab.session.local_postgres import LocalPostgres
from orchestria_lab.session.store import open_store

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (
    "Add warm piano chords with reverb",
    "add a boom bap drum beat",
    "add an 808 bass",
    "make the chords brighter",
    "add a melody",
)
READS = {"session": "", "stems": "/stems", "versions": "/versions", "notes": "/notes"}


@dataclass
class Tally:
    #: seconds per (what, status): what is "command" or a name of READS
    latencies: dict[tuple[str, int], list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    applied: list[tuple[str, int, str]] = field(default_factory=list)  # (session, version, text)
    transport_errors: int = 0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(folder: Path, port: int, *, database_url: str, workers: int) -> subprocess.Popen:
    env = {**os.environ, "ORCHESTRIA_DATABASE_URL": database_url, "ORCHESTRIA_DATA_DIR": str(folder / "data"),
           "ORCHESTRIA_REQUESTS_PER_MINUTE": "10000000", "ORCHESTRIA_MAX_OPEN_SESSIONS": "1000",
           "ORCHESTRIA_COMMANDS_PER_ACCOUNT": "1000"}
    log = folder / f"serve-{workers}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "orchestria_lab.cli", "serve", "--port", str(port),
                                 "--workers", str(workers), "--log-level", "warning"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"orchestria serve exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
            if len(_workers_of(proc.pid)) >= workers or workers == 1:
                return proc
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("orchestria serve did not start in 180 s")
        time.sleep(0.2)


def _workers_of(pid: int) -> list[int]:
    """The worker processes of an ``orchestria serve --workers N`` (its children that uvicorn spawned)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(c) for c in children if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]
    except OSError:
        return []


def _cpu_seconds(pids: list[int]) -> float | None:
    """CPU time (user + system) the processes ``pids`` have used so far; ``None`` where /proc is not there."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _client_loop(url: str, key: str, sessions: list[str], stop_at: float, max_requests: int,
                 command_share: float, seed: int, tally: Tally, lock: threading.Lock) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as http:
        for _ in range(max_requests):
            if time.monotonic() >= stop_at:
                return
            sid = rng.choice(sessions)
            is_command = rng.random() < command_share
            text = rng.choice(COMMANDS)
            what = "command" if is_command else rng.choice(list(READS))
            t0 = time.perf_counter()
            try:
                if is_command:
                    response = http.post(f"/v1/sessions/{sid}/command", json={"text": text})
                else:
                    response = http.get(f"/v1/sessions/{sid}{READS[what]}")
            except httpx.TransportError:
                with lock:
                    tally.transport_errors += 1
                continue
            elapsed = time.perf_counter() - t0
            with lock:
                tally.latencies[what, response.status_code].append(elapsed)
                tally.statuses[response.status_code] += 1
                if is_command and response.status_code == 200:
                    tally.applied.append((sid, response.json()["version"], text))


def _integrity(url: str, key: str, sessions: list[str], applied: list[tuple[str, int, str]]) -> list[str]:
    """What is wrong with the histories (empty: nothing lost, nothing duplicated)."""
    problems = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as http:
        for sid in sessions:
            versions = http.get(f"/v1/sessions/{sid}/versions").json()
            numbers = [v["version"] for v in versions]
            if numbers != list(range(len(numbers))):
                problems.append(f"{sid}: versions not contiguous: {numbers}")
            mine = sorted((v, text) for s, v, text in applied if s == sid)
            if [v for v, _ in mine] != numbers[1:]:
                problems.append(f"{sid}: {len(mine)} commands answered 200, history has {len(numbers) - 1} "
                                "versions after 0 (lost or duplicated)")
            by_number = {v["version"]: v["command"] for v in versions}
            if any(by_number.get(v) != text for v, text in mine):
                problems.append(f"{sid}: a version does not hold the command that reported it")
    return problems


def _load(url: str, key: str, ids: list[str], seconds: float, clients: int, max_requests: int,
          command_share: float, tally: Tally, lock: threading.Lock, *, seed: int) -> None:
    """``clients`` client threads for ``seconds``, counted in ``tally``."""
    stop_at = time.monotonic() + seconds
    threads = [threading.Thread(target=_client_loop, args=(url, key, ids, stop_at, max_requests, command_share,
                                                          seed + n, tally, lock)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 300)


def run_once(database_url: str, *, workers: int, seconds: float, clients: int, sessions: int,
             command_share: float, max_requests: int, warmup: float) -> dict:
    """One load run against ``orchestria serve --workers N`` on ``database_url``: the figures of one row."""
    folder = Path(tempfile.mkdtemp(prefix="bench_load_"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _start_server(folder, port, database_url=database_url, workers=workers)
    store = open_store(database_url)
    try:
        key = create_key(store, "bench").key
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
            ids = [http.post("/v1/sessions", json={"bpm": 90, "key": "Cm", "genre": "lo-fi", "seed": n}).json()["id"]
                   for n in range(sessions)]
        lock = threading.Lock()
        warm = Tally()  # every worker loads its models and kernels on its first commands: not measured
        _load(url, key, ids, warmup, clients, max_requests, command_share, warm, lock, seed=10_000)
        tally = Tally()
        processes = [server.pid, *_workers_of(server.pid)]
        cpu0 = _cpu_seconds(processes)
        t0 = time.monotonic()
        _load(url, key, ids, seconds, clients, max_requests, command_share, tally, lock, seed=0)
        wall = time.monotonic() - t0
        cpu1 = _cpu_seconds(processes)
        problems = _integrity(url, key, ids, warm.applied + tally.applied)
        if warm.server_errors or warm.transport_errors:
            problems.append(f"warm-up: {warm.server_errors} 5xx, {warm.transport_errors} transport errors")
    finally:
        store.close()
        server.terminate()
        server.wait(60)
        shutil.rmtree(folder, ignore_errors=True)
    lat = tally.latencies
    answered = sum(len(v) for v in lat.values())
    reads_ok = [t for (what, status), values in lat.items() if what != "command" and status == 200 for t in values]
    return {"workers": workers, "wall": wall, "answered": answered, "throughput": answered / wall,
            "cpu": None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / wall,
            "classes": {"commands, 200": lat["command", 200], "commands, 409 busy": lat["command", 409],
                        "reads, 200": reads_ok, **{f"GET {READS[w] or '/'}": lat[w, 200] for w in READS}},
            "statuses": dict(sorted(tally.statuses.items())),
            "server_errors": tally.server_errors,
            "transport_errors": tally.transport_errors, "versions": len(tally.applied), "problems": problems}


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{percentile(values, 50) * 1e3:.0f} / {percentile(values, 95) * 1e3:.0f} (n={len(values)})"


def main(*, seconds: float | None = None, clients: int = 32, sessions: int = 8, command_share: float = 0.2,
         workers: tuple[int, ...] = (1, 2, 4), backend: str = "postgresql", database_url: str | None = None,
         max_requests: int = 20_000, warmup: float | None = None) -> list[dict]:
    """Run the load once per worker count and print the scaling table. ``seconds`` defaults to
    ``ORCHESTRIA_BENCH_LOAD_SECONDS``, else 60 (``make bench``); each run first warms its workers
    up under the same load for ``warmup`` seconds (default a quarter of ``seconds``, at least 5)."""
    seconds = float(os.environ.get("ORCHESTRIA_BENCH_LOAD_SECONDS", 60)) if seconds is None else seconds
    warmup = max(5.0, seconds / 4) if warmup is None else warmup
    cluster = None
    if backend == "postgresql" and database_url is None:
        try:
            cluster = LocalPostgres(prefix="bench-pg-").start()
        except StoreError as exc:
            raise SystemExit(f"{exc}\nOr give --database-url postgresql://... of a server to use, or --backend sqlite.") \
                from exc
    runs = []
    try:
        for n in workers:
            if backend == "sqlite":
                url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench_load_db_')) / 'load.db'}"
            else:
                url = database_url if database_url is not None else cluster.new_database("bench")
            runs.append(run_once(url, workers=n, seconds=seconds, clients=clients, sessions=sessions,
                                 command_share=command_share, max_requests=max_requests, warmup=warmup))
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"{backend}, {clients} clients on {sessions} sessions, {command_share:.0%} commands, {seconds:g} s a run "
          f"after {warmup:g} s of warm-up, "
          f"{os.cpu_count()} CPU cores on this machine")
    classes = list(runs[0]["classes"])
    header = ["workers", "req/s", "server cores used", *(f"{c}: p50 / p95 ms" for c in classes),
              "5xx", "transport errors", "versions made", "history"]
    rows = [[r["workers"], f"{r['throughput']:.1f}", "-" if r["cpu"] is None else f"{r['cpu']:.2f}",
             *(_ms(r["classes"][c]) for c in classes), r["server_errors"], r["transport_errors"], r["versions"],
             "contiguous, none lost or duplicated" if not r["problems"] else "; ".join(r["problems"])]
            for r in runs]
    print(table(header, rows))
    print("status counts: " + "; ".join(f"{r['workers']} worker(s): " + ", ".join(f"{s}: {n}" for s, n in
                                                                                  r["statuses"].items())
                                        for r in runs))
    failed = [r for r in runs if r["server_errors"] or r["problems"] or r["transport_errors"]]
    if failed:
        raise AssertionError("load run failed: " + "; ".join(
            f"{r['workers']} worker(s): {r['server_errors']} 5xx, {r['transport_errors']} transport errors, "
            f"history problems: {r['problems']}" for r in failed))
    return runs


def _cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=None, help="wall time of each run (default 60)")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up before each run (default seconds/4, >= 5)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated (default 1,2,4)")
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--database-url", default=None, help="an existing PostgreSQL to use (each run adds data)")
    args = parser.parse_args(argv)
    main(seconds=args.seconds, clients=args.clients, sessions=args.sessions,
         workers=tuple(int(n) for n in args.workers.split(",")), backend=args.backend,
         database_url=args.database_url, warmup=args.warmup)


if __name__ == "__main__":
    _cli()
