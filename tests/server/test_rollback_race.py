"""A rollback racing commands in another server process (issue 11, item 6): every acknowledged
rollback holds exactly the content of the version it named, every acknowledged command its own
change, and a rollback that loses the race is a 409 the Python client retries."""

from __future__ import annotations

import random
import threading
import time

import httpx

import orchestria_lab.session.session as session_module
from orchestria_lab.client import Client
from orchestria_lab.errors import VersionConflict
from orchestria_lab.session import Session
from tests.server.conftest import in_threads


class CountingTransport(httpx.HTTPTransport):
    """An HTTP transport that counts the 409 version conflicts it carries."""

    def __init__(self) -> None:
        super().__init__()
        self.conflicts = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if response.status_code == 409:
            response.read()
            if b"version_conflict" in response.content:
                with self._lock:
                    self.conflicts += 1
        return response


def test_rollbacks_racing_another_server_process_land_on_the_content_they_name(live_server_factory, spawn_servers,
                                                                                monkeypatch):
    here = live_server_factory()
    # this process gives up a commit at its first lost race, so the conflict reaches the client as a 409,
    # and takes its time between reading the head and writing after it, so races are lost
    monkeypatch.setattr(session_module, "COMMIT_PATIENCE_S", 0.0)
    append = here.store.append_version

    def slow_append(*args, **kw):
        time.sleep(0.25)
        return append(*args, **kw)

    monkeypatch.setattr(here.store, "append_version", slow_append)
    (there,) = spawn_servers(1, store=here.store, ORCHESTRIA_REQUESTS_PER_MINUTE="100000",
                             ORCHESTRIA_COMMANDS_PER_ACCOUNT="64")
    key = here.key("racer")
    transport = CountingTransport()
    with Client(here.url, key, transport=transport) as local, Client(there, key) as remote:
        session = local.create(bpm=90, key="C", genre="pop", bars=1)
        targets = {0: 90}
        for bpm in (100, 110, 120):
            targets[session.command(f"set the tempo to {bpm}").version] = bpm
        acknowledged: list[tuple[str, int, int]] = []  # (kind, version made, the bpm it must hold)
        refused: list[str] = []
        lock = threading.Lock()

        def rollbacks(n: int) -> None:
            rng = random.Random(n)
            mine = local.open(session.id)
            for _ in range(6):
                target = rng.choice(sorted(targets))
                try:
                    record = mine.rollback(target)
                except VersionConflict as exc:  # lost every retry: nothing was written
                    with lock:
                        refused.append(str(exc))
                    continue
                with lock:
                    acknowledged.append(("rollback", record.version, targets[target]))

        def commands(n: int) -> None:
            mine = remote.open(session.id)
            for i in range(6):
                bpm = 130 + 10 * n + i
                result = mine.command(f"set the tempo to {bpm}")
                with lock:
                    acknowledged.append(("command", result.version, bpm))

        in_threads(lambda n: rollbacks(n) if n < 3 else commands(n - 3), 6)

    history = Session.open(session.id, here.store)
    made = sorted(v for _, v, _ in acknowledged)
    assert len(made) == len(set(made)) == 3 * 6 + 3 * 6 - len(refused)  # each acknowledged once, none lost
    assert history.version == 3 + len(made)
    wrong = [(kind, v, bpm, history.state_at(v).meta.bpm) for kind, v, bpm in acknowledged
             if history.state_at(v).meta.bpm != bpm]
    assert wrong == []
    for kind, v, _ in acknowledged:
        if kind == "rollback":  # the whole content of the version named, not only its tempo
            record = next(r for r in history.records if r.version == v)
            assert history.state_at(v).to_dict() == history.state_at(record.restores).to_dict()
    assert transport.conflicts > 0  # the race was really run, and the client retried it
    assert len(refused) < 6
