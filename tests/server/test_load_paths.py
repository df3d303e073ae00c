"""What keeps the REST shim quick under load (issue 17, item 3), checked for behaviour, not speed
(speed lives in benchmarks/bench_load.py): reads answer while a command's answer is being built,
a stem being measured is measured once, sessions are reused between requests without missing
another writer's versions, the JSON tables built without pandas are the tables, the writers of one
process take turns, and work runs on one torch thread."""

from __future__ import annotations

import threading

import anyio
import pytest
from pydantic import TypeAdapter

from orchestria_lab.errors import StoreError
from orchestria_lab.server import resources
from orchestria_lab.server.models import NoteOut
from orchestria_lab.server.resources import automation_records, notes_json, notes_records, records
from orchestria_lab.server.work import run_work
from orchestria_lab.session.session import Session
from orchestria_lab.session.store import SQLiteStore
from orchestria_lab.state import Edit, Meta, Note, State, Stem

from .conftest import add_stem, in_threads

NEW_SESSION = {"bpm": 90, "key": "Cm", "genre": "lo-fi", "seed": 5, "bars": 2}


def test_reads_answer_while_a_commands_answer_is_being_built(server, alice, monkeypatch):
    """The answer of a command (the session after it, with each changed stem measured: a render)
    is built off the event loop: other requests are answered meanwhile."""
    sid = alice.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    measuring, go_on = threading.Event(), threading.Event()
    measure = resources._loudness

    def slow_measure(state, stems):
        measuring.set()
        assert go_on.wait(30)
        return measure(state, stems)

    monkeypatch.setattr(resources, "_loudness", slow_measure)
    answers = []
    command = threading.Thread(target=lambda: answers.append(
        alice.post(f"/v1/sessions/{sid}/command", json={"text": "add a boom bap drum beat"})))
    command.start()
    try:
        assert measuring.wait(60)
        with server.client(server.key("bystander")) as other:
            assert other.get("/v1/agents", timeout=10).status_code == 200  # the loop is free
            assert other.get("/v1/sessions", timeout=10).status_code == 200
    finally:
        go_on.set()
        command.join(60)
    assert answers[0].status_code == 200 and answers[0].json()["session"]["stems"][0]["loudness_lufs"] is not None


def test_a_stem_being_measured_is_measured_once_for_everyone_asking(monkeypatch):
    import orchestria_lab.audio.levels as levels
    import orchestria_lab.audio.render as render

    calls, started, go_on = [], threading.Event(), threading.Event()

    def counted(state, stem, **kw):
        calls.append(stem.stem_id)
        started.set()
        assert go_on.wait(30)
        return -18.0 - len(stem.stem_id)

    rendered = []
    monkeypatch.setattr(levels, "stem_loudness", counted)
    monkeypatch.setattr(render, "dry_periods", lambda state, stems: iter(rendered.append([s.stem_id for s in stems]) or ()))
    measure = resources._Measurements()
    pad, bass = (Stem(name, role=name, instrument=sound, notes=[Note(45, 0, 4, 100)])
                 for name, sound in (("pad", "pad"), ("bass", "sub_bass")))
    state = State(Meta(bpm=120, key="C", genre="pop", bars=1, sample_rate=8000), (pad, bass))
    found = []
    asks = [[pad], [pad, bass], [bass, pad], [pad], [bass], [pad, bass]]  # in every order: none waits forever
    threads = [threading.Thread(target=lambda stems=stems: found.append(measure(state, stems))) for stems in asks]
    for t in threads:
        t.start()
    assert started.wait(30)
    go_on.set()
    for t in threads:
        t.join(30)
    assert sorted(map(tuple, found)) == sorted([(-21.0,), (-21.0, -22.0), (-22.0, -21.0), (-21.0,), (-22.0,),
                                                 (-21.0, -22.0)])
    assert sorted(calls) == ["bass", "pad"]  # each measured once
    louder = pad.evolve(gain_db=3.0)  # another level is another measurement
    assert measure(State(state.meta, (louder,)), [louder]) == [-21.0] and sorted(calls) == ["bass", "pad", "pad"]
    rendered.clear()
    assert resources._Measurements()(state, [pad, bass]) == [-21.0, -22.0]
    assert rendered == [["pad", "bass"]]  # two still to measure are rendered together


def test_a_reused_session_sees_every_other_writers_version_and_close(server, alice):
    sid = alice.post("/v1/sessions", json=NEW_SESSION).json()["id"]
    assert alice.get(f"/v1/sessions/{sid}").json()["version"] == 0
    assert add_stem(server.store, sid, "chords") == 1  # a writer beside this server's requests
    shown = alice.get(f"/v1/sessions/{sid}").json()
    assert shown["version"] == 1 and [s["id"] for s in shown["stems"]] == ["chords"]
    assert [n["stem_id"] for n in alice.get(f"/v1/sessions/{sid}/notes").json()] == ["chords", "chords"]
    assert alice.get(f"/v1/sessions/{sid}/notes", params={"version": 0}).json() == []
    server.store.close_session(sid, "2030-01-01T00:00:00.000Z")
    assert alice.get(f"/v1/sessions/{sid}").status_code == 404
    with server.client(server.key("mallory")) as other:  # and another account's session stays unseen
        theirs = other.post("/v1/sessions", json=NEW_SESSION).json()["id"]
        other.get(f"/v1/sessions/{theirs}")
    assert alice.get(f"/v1/sessions/{theirs}").status_code == 404


def test_the_tables_as_json_are_the_tables(tmp_path):
    store = SQLiteStore(tmp_path / "t.db")
    session = Session.create(bpm=96, key="Am", genre="lo-fi", bars=2, seed=1, store=store)
    stem = Stem("pad", role="pad", instrument="pad", notes=[Note(57, 0, 4, 100), Note(60, 1.5, 0.25, 64)],
                automation=[("gain_db", 0.0, -6.0, "linear"), ("gain_db", 4.0, 0.0, "step")])
    session.commit(Edit(add=[stem, Stem("kick", role="drums", instrument="drum_kit", notes=[Note(36, 0, 0.5, 110)])]),
                   command="add")
    assert notes_records(session.state) == records(session.notes) and len(notes_records(session.state)) == 3
    assert automation_records(session.state) == records(session.automation) and len(automation_records(session.state)) == 2
    as_the_model = TypeAdapter(list[NoteOut])  # the notes answer skips the model's check: it is what the check gives
    assert notes_json(session.state) == as_the_model.dump_json(as_the_model.validate_python(records(session.notes)))
    empty = Session.create(bpm=96, key="Am", genre="lo-fi", store=store)
    assert notes_records(empty.state) == records(empty.notes) == []
    assert automation_records(empty.state) == records(empty.automation) == []


def test_the_writers_of_one_process_take_turns_and_one_held_too_long_is_a_store_error(tmp_path):
    store = SQLiteStore(tmp_path / "w.db", timeout=0.5)
    with store.transaction() as db:
        db.execute("CREATE TABLE counts (n INTEGER)")
        db.execute("INSERT INTO counts VALUES (0)")

    def add(_: int) -> None:
        for _ in range(25):
            with store.transaction() as db:
                (n,) = db.execute("SELECT n FROM counts").fetchone()
                db.execute("UPDATE counts SET n = ?", (n + 1,))

    in_threads(add, 8)
    assert store.connection().execute("SELECT n FROM counts").fetchone()[0] == 200  # none lost, none refused
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.transaction():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        with pytest.raises(StoreError, match="busy"), store.transaction():
            pass
    finally:
        release.set()
        holder.join(30)
    with store.transaction():  # and free again
        pass


def test_work_runs_on_one_torch_thread():
    import torch

    async def main() -> int:
        return await run_work(anyio.CapacityLimiter(1), torch.get_num_threads)

    assert anyio.run(main) == 1
