"""Fair work: one command at a time per session, a few per account; reads are not held up."""

from __future__ import annotations

import os
import time

import pytest

from orchestria_lab.server.errors import RateLimited
from orchestria_lab.server.tables import ensure_tables
from orchestria_lab.server.work import STALE_S, SessionBusy, command_slot
from orchestria_lab.session.service import CommandClaim
from orchestria_lab.session.store import SQLiteStore

NEW_SESSION = {"bpm": 90, "key": "Cm", "genre": "lo-fi"}


@pytest.fixture
def store(tmp_path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "w.db")
    ensure_tables(s)
    return s


def test_one_command_per_session_and_a_few_per_account(store):
    with command_slot(store, "ses_a", "alice", per_account=2):
        with pytest.raises(SessionBusy) as busy:
            with command_slot(store, "ses_a", "bob", per_account=2):
                pass
        assert busy.value.status == 409 and busy.value.retry_after >= 1
        with command_slot(store, "ses_b", "alice", per_account=2):
            with pytest.raises(RateLimited, match="commands running at once"):
                with command_slot(store, "ses_c", "alice", per_account=2):
                    pass
            with command_slot(store, "ses_c", "bob", per_account=2):  # other accounts are not held up
                pass
    with command_slot(store, "ses_a", "alice", per_account=2):  # given back
        pass


def test_a_slot_is_given_back_when_the_command_fails_and_a_dead_ones_goes_stale(store):
    with pytest.raises(RuntimeError), command_slot(store, "ses_a", "alice", per_account=1):
        raise RuntimeError("the command failed")
    with command_slot(store, "ses_a", "alice", per_account=1):
        pass
    # a process died holding a slot, long ago
    assert ensure_tables(store).claim_command(CommandClaim("ses_z", "carol", time.time() - STALE_S - 1, "far", 1),
                                              per_account=1, stale_before=0) == []
    with command_slot(store, "ses_z", "carol", per_account=1):
        pass


@pytest.mark.backends
def test_a_busy_session_answers_409_with_retry_after_and_reads_go_on(server):
    key = server.key("busy")
    with server.client(key) as client:
        sid = client.post("/v1/sessions", json=NEW_SESSION).json()["id"]
        with command_slot(server.store, sid, "someone", per_account=99):
            answer = client.post(f"/v1/sessions/{sid}/command", json={"text": "add a boom bap drum beat"})
            assert answer.status_code == 409 and answer.json()["error"]["code"] == "session_busy"
            assert answer.headers["Retry-After"] == "1"
            assert client.get("/v1/agents").status_code == 200
            assert client.get(f"/v1/sessions/{sid}/versions").json()[-1]["version"] == 0  # nothing ran
        done = client.post(f"/v1/sessions/{sid}/command", json={"text": "add a boom bap drum beat"})
        assert done.status_code == 200 and done.json()["version"] == 1


def test_a_slot_held_by_a_process_of_this_host_that_is_gone_is_let_go_at_once(store):
    import subprocess
    import sys

    from orchestria_lab.server.work import HOST

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = CommandClaim("ses_k", "kim", time.time(), HOST, int(gone.stdout))  # killed mid-command, just now
    assert ensure_tables(store).claim_command(dead, per_account=1, stale_before=0) == []
    with command_slot(store, "ses_k", "kim", per_account=1):  # neither the session nor the account is held
        assert [c.pid for c in ensure_tables(store).running_commands()] == [os.getpid()]
    alive = CommandClaim("ses_k", "kim", time.time(), "another-host", 1)  # elsewhere: only time lets it go
    ensure_tables(store).claim_command(alive, per_account=1, stale_before=0)
    with pytest.raises(SessionBusy), command_slot(store, "ses_k", "lee", per_account=1):
        pass
