"""No lost update: many writers in several processes, checked on content, not only numbers.

Each writer owns one thing (a stem's mute, a stem's pan, or a pair of tempo values no other
writer uses) and runs real commands through ``Session.command``. Every command it sees
acknowledged must be in the history as its own version, and each version's diff from its
parent must hold exactly what its command changed: a version built on a stale state would
also carry back another writer's field, and shows up here as an extra row.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestria_lab import Session
from orchestria_lab.errors import CommandNotUnderstood, VersionConflict
from orchestria_lab.session.store import open_store

pytestmark = pytest.mark.backends  # each test runs on SQLite and on PostgreSQL

SETUP = ["Add a boom bap drum beat", "add a bass line", "add warm piano chords",
         "add a melody on electric piano", "add an ambient pad", "add a pluck arpeggio"]
PARTS = ("drums", "bass", "chords", "melody", "pad", "arp")
# One writer per (part, field), and four tempo writers: 16 writers, nobody shares a field.
WRITERS = [("muted", p) for p in PARTS] + [("pan", p) for p in PARTS] + [("bpm", str(j)) for j in range(4)]


def command_for(writer: tuple[str, str], k: int) -> tuple[str, object]:
    """The k-th command of ``writer`` and the value it sets. Each writer alternates between
    two values of its own, so a command can only change nothing if its field was reverted."""
    field, owner = writer
    if field == "muted":
        return (f"mute the {owner}", True) if k % 2 == 0 else (f"unmute the {owner}", False)
    if field == "pan":
        return (f"pan the {owner} left", -0.5) if k % 2 == 0 else (f"pan the {owner} right", 0.5)
    bpm = 60 + 2 * int(owner) + k % 2
    return f"set the tempo to {bpm}", bpm


WORKER = textwrap.dedent("""
    import json, sys, threading
    sys.path.insert(0, sys.argv[5])
    from test_concurrent_writers import WRITERS, command_for
    from orchestria_lab import Session
    from orchestria_lab.session.store import open_store
    url, session_id, count = sys.argv[1], sys.argv[2], int(sys.argv[4])
    mine = [WRITERS[int(i)] for i in sys.argv[3].split(",")]
    store = open_store(url)
    lock, errors = threading.Lock(), []

    def write(writer):
        session = Session.open(session_id, store=store)  # one object per writer, as per request
        for k in range(count):
            text, _ = command_for(writer, k)
            try:
                result = session.command(text)
            except Exception as exc:  # a refusal here means the writer's own field was reverted
                errors.append(f"{text!r} (command {k} of {writer}): {type(exc).__name__}: {exc}")
                return
            with lock:
                print(json.dumps({"writer": list(writer), "k": k, "version": result.version}), flush=True)

    threads = [threading.Thread(target=write, args=(w,)) for w in mine]
    for t in threads: t.start()
    for t in threads: t.join()
    if errors:
        sys.exit(" | ".join(errors))
""")


def expected_row(writer: tuple[str, str], value: object) -> tuple:
    field, owner = writer
    return (None, "bpm", value) if field == "bpm" else (owner, field, value)


@pytest.mark.parametrize("processes", [2])
def test_concurrent_commands_never_revert_an_acknowledged_edit(store, processes):
    count = 128  # 16 writers x 128 = 2,048 acknowledged commands
    session = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, store=store)
    for text in SETUP:
        session.command(text)
    first = session.version + 1
    per_process = len(WRITERS) // processes
    procs = [subprocess.Popen(
        [sys.executable, "-c", WORKER, store.url, session.id,
         ",".join(str(i) for i in range(p * per_process, (p + 1) * per_process)), str(count),
         str(Path(__file__).parent)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in range(processes)]
    acks = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        acks += [json.loads(line) for line in out.splitlines()]
    assert len(acks) == len(WRITERS) * count

    session.refresh()
    records = session.records
    assert [r.version for r in records] == list(range(len(records)))
    assert len(records) == first + len(acks)  # every acknowledged command is one version, no more
    by_version = {}
    for ack in acks:
        writer = tuple(ack["writer"])
        text, value = command_for(writer, ack["k"])
        assert ack["version"] not in by_version, "two commands acknowledged with one version"
        by_version[ack["version"]] = (writer, text, value)
        assert records[ack["version"]].command == text

    reverted = []
    for version in range(first, session.version + 1):
        writer, text, value = by_version[version]
        diff = session.diff(version - 1, version)
        rows = [(r.stem_id, r.field, r.after) for r in diff.itertuples()]
        if rows != [expected_row(writer, value)]:
            reverted.append((version, text, rows))
    assert reverted == [], f"{len(reverted)} versions changed more than their command: {reverted[:5]}"

    final = session.state
    for writer in WRITERS:
        field, owner = writer
        last = max(a["k"] for a in acks if tuple(a["writer"]) == writer)
        value = command_for(writer, last)[1]
        if field != "bpm":
            assert getattr(final.stem(owner), field) == value, (writer, value)
    tempo_versions = [v for v in by_version if by_version[v][0][0] == "bpm"]
    assert final.meta.bpm == by_version[max(tempo_versions)][2]


# the same races, replayed deterministically -------------------------------------------
@pytest.fixture
def two_writers(store):
    """Two Session objects on one stored session (drums and chords), as two processes have."""
    mine = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7, store=store)
    mine.command("Add a boom bap drum beat")
    mine.command("add warm piano chords")
    theirs = open_store(store.url)  # a store object of its own, as another process has
    yield mine, Session.open(mine.id, store=theirs)
    getattr(theirs, "close", lambda: None)()


def while_planned(action):
    """An ``on_event`` hook that lets another writer commit right after the plan is made."""
    def hook(event):
        if event.type == "plan":
            action()
    return hook


def test_a_command_lands_on_top_of_a_version_made_while_it_ran(two_writers):
    mine, theirs = two_writers
    drums_before = mine.state.stem("drums").gain_db
    result = mine.command("make the drums quieter",
                          on_event=while_planned(lambda: theirs.command("set the tempo to 95")))
    assert result.version == 4 and theirs.refresh().version == 4
    assert mine.bpm == 95  # the acknowledged tempo change is kept, not reverted
    assert mine.state.stem("drums").gain_db < drums_before
    rows = [(r.stem_id, r.field) for r in mine.diff(3, 4).itertuples()]
    assert rows == [("drums", "gain_db")]


def test_a_command_that_no_longer_fits_the_new_head_is_a_retryable_conflict(two_writers):
    mine, theirs = two_writers
    with pytest.raises(VersionConflict) as caught:
        mine.command("make the chords louder",
                     on_event=while_planned(lambda: theirs.command("remove the chords")))
    assert caught.value.status == 409 and caught.value.details.get("retryable", True) is not False
    assert "no longer fits" in caught.value.message and "chords" in caught.value.message
    assert mine.refresh().version == 3  # theirs only: the conflict made nothing
    with pytest.raises(CommandNotUnderstood):  # the retry gets the honest answer on the new head
        mine.command("make the chords louder")


def test_undo_whose_head_moved_is_refused_not_redirected(two_writers):
    mine, theirs = two_writers
    with pytest.raises(VersionConflict) as caught:
        mine.command("undo", on_event=while_planned(lambda: theirs.command("set the tempo to 95")))
    assert caught.value.details["retryable"] is False
    assert mine.refresh().version == 3 and mine.bpm == 95 and len(mine.stems) == 2


def test_undo_undoes_the_head_it_commits_on(two_writers):
    mine, _ = two_writers
    result = mine.command("undo")
    assert mine.record(result.version).parent == 1 and list(mine.stems["role"]) == ["drums"]


# the store's half of the contract ----------------------------------------------------
def test_store_refuses_a_commit_whose_base_is_not_the_head(two_writers):
    mine, theirs = two_writers
    store = mine.store
    state, record = mine.state, mine.record(2)
    stale = type(record)(3, 2, "stale", (), "stale", record.created_at, 1)
    theirs.command("set the tempo to 95")  # now v3
    with pytest.raises(VersionConflict, match="built on version 2"):
        store.append_version(mine.id, stale, state, base=2)
    with pytest.raises(ValueError, match="versions go up by one"):
        store.append_version(mine.id, stale, state, base=3)
    records, head = store.snapshot(mine.id, after=2)
    assert [r.version for r in records] == [3] and head.meta.bpm == 95
    assert store.snapshot(mine.id, after=3) == ([], None)
