"""REST shim under load: concurrent clients on loopback for up to 60 s, reads mixed with
commands, against a real ``orchestria serve`` process.

Reports throughput; p50/p95/p99 of the commands that made a version (200), of those refused
because their session was running another (409 ``session_busy``, answered at once), of the reads
(200) and of each read endpoint; the count of 5xx answers. Then checks every session's history:
versions contiguous, each successful command's version unique and present with its own text
(nothing lost, nothing duplicated). Bounded: ``seconds`` of wall time and ``max_requests`` per
client, whichever comes first. The issue's targets (16 clients): commands (200) p50 <= 300 ms,
reads p50 <= 50 ms, no 5xx.
"""

from __future__ import annotations

import os
import random
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
from orchestria_lab.server.keys import create_key
from orchestria_lab.session.store import SQLiteStore

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(folder: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "ORCHESTRIA_DB": str(folder / "load.db"), "ORCHESTRIA_DATA_DIR": str(folder / "data"),
           "ORCHESTRIA_REQUESTS_PER_MINUTE": "10000000", "ORCHESTRIA_MAX_OPEN_SESSIONS": "1000"}
    proc = subprocess.Popen([sys.executable, "-m", "orchestria_lab.cli", "serve", "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"orchestria serve exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
            return proc
        except httpx.TransportError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("orchestria serve did not start in 60 s") from None
            time.sleep(0.1)


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the process ``pid`` has used so far; ``None`` where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def main(*, seconds: float = 60.0, clients: int = 16, sessions: int = 4, command_share: float = 0.2,
         max_requests: int = 20_000) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench_load_"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _start_server(folder, port)
    try:
        key = create_key(SQLiteStore(folder / "load.db"), "bench").key
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
            ids = [http.post("/v1/sessions", json={"bpm": 90, "key": "Cm", "genre": "lo-fi", "seed": n}).json()["id"]
                   for n in range(sessions)]
        tally, lock = Tally(), threading.Lock()
        cpu0 = _cpu_seconds(server.pid)
        t0 = time.monotonic()
        threads = [threading.Thread(target=_client_loop, args=(url, key, ids, t0 + seconds, max_requests,
                                                              command_share, n, tally, lock))
                   for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 300)
        wall = time.monotonic() - t0
        cpu1 = _cpu_seconds(server.pid)
        problems = _integrity(url, key, ids, tally.applied)
    finally:
        server.terminate()
        server.wait(30)

    lat = tally.latencies
    everything = [t for values in lat.values() for t in values]
    reads_ok = [t for (what, status), values in lat.items() if what != "command" and status == 200 for t in values]
    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    rows = [["clients / sessions / command share", f"{clients} / {sessions} / {command_share:.0%}"],
            ["wall time (s)", wall], ["requests answered", len(everything)],
            ["throughput (req/s)", len(everything) / wall]]
    if cpu0 is not None and cpu1 is not None:
        rows.append(["server CPU: cores used / ms a request", f"{(cpu1 - cpu0) / wall:.2f} / "
                     f"{(cpu1 - cpu0) / max(1, len(everything)) * 1e3:.1f}"])
    for name, values in (("commands, 200 (made a version)", lat["command", 200]),
                         ("commands, 409 (session busy)", lat["command", 409]),
                         ("reads, 200", reads_ok),
                         *((f"  GET {READS[what] or '/'}", lat[what, 200]) for what in READS)):
        if values:
            rows.append([f"{name}: n, p50 / p95 / p99 (ms)", f"{len(values)}, " + " / ".join(
                f"{percentile(values, q) * 1e3:.0f}" for q in (50, 95, 99))])
    rows += [["status counts", ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items()))],
             ["5xx answers", server_errors], ["transport errors", tally.transport_errors],
             ["versions made by commands", len(tally.applied)],
             ["history check", "contiguous, none lost or duplicated" if not problems else "; ".join(problems)]]
    print(table(["measure", "value"], rows))
    if server_errors or problems or tally.transport_errors:
        raise AssertionError(f"load run failed: {server_errors} 5xx, {tally.transport_errors} transport "
                             f"errors, history problems: {problems}")


if __name__ == "__main__":
    main(seconds=float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
