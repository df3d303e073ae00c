"""Crash safety and concurrent writers, with real processes, on each store backend."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from orchestria_lab import Session
from orchestria_lab.session.store import open_store

pytestmark = pytest.mark.backends

WRITER = textwrap.dedent("""
    import sys
    from orchestria_lab import Session
    from orchestria_lab.session.store import open_store
    from orchestria_lab.state import Edit, Note, Stem
    store = open_store(sys.argv[1])
    s = Session.open(sys.argv[2], store=store)
    tag, count = sys.argv[3], int(sys.argv[4])
    for i in range(count):
        notes = [Note(40 + (i + k) % 30, k * 0.5, 0.5, 90) for k in range(200)]
        s.commit(lambda st, rng, i=i: Edit(add=[Stem(st.new_stem_id(tag), role="bass",
                 instrument="sub_bass", notes=notes)]), command=f"{tag} {i}")
        print(i, flush=True)
""")


def spawn(url, session_id, tag, count):
    return subprocess.Popen([sys.executable, "-c", WRITER, url, session_id, tag, str(count)],
                            stdout=subprocess.PIPE, text=True)


def test_sigkill_mid_write_leaves_every_committed_version_loadable(store):
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=1, store=store)
    for delay in (0.4, 0.9):
        proc = spawn(store.url, s.id, "bass", 10_000)
        proc.stdout.readline()  # it has started writing
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    store = open_store(store.url)  # a new store object: nothing cached from before the crashes
    records = store.records(s.id)
    assert len(records) > 3
    assert [r.version for r in records] == list(range(len(records)))
    for r in records:
        state = store.load_state(s.id, r.version)
        assert len(state.stems) == r.version  # each version added exactly one stem: no half version


def test_two_processes_never_duplicate_or_skip_versions(store):
    s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=1, store=store)
    procs = [spawn(store.url, s.id, tag, 15) for tag in ("a", "b")]
    for p in procs:
        p.communicate(timeout=120)
        assert p.returncode == 0
    records = store.records(s.id)
    assert [r.version for r in records] == list(range(31))
    commands = [r.command for r in records[1:]]
    assert sorted(commands) == sorted([f"a {i}" for i in range(15)] + [f"b {i}" for i in range(15)])
    final = store.load_state(s.id, 30)
    assert len(final.stems) == 30
