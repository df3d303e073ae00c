"""The service store's contract, on SQLite and on a real PostgreSQL: what the server keeps
(keys, limits, running commands, idempotency keys, exports, secrets) and the atomic counts that
hold across processes. Two stores over one database stand in for two server processes: each has
its own connections."""

from __future__ import annotations

import threading

import pytest

from orchestria_lab.cli import main
from orchestria_lab.session.service import (
    SERVICE_SCHEMA_VERSION,
    SERVICE_TABLES,
    CommandClaim,
    ExportRecord,
    KeyRow,
    service_store,
)
from orchestria_lab.session.store import SQLiteStore, open_store

from .conftest import sql

pytestmark = pytest.mark.backends


@pytest.fixture
def twin(store):
    """A second store over ``store``'s database, with connections of its own."""
    other = open_store(store.url if not isinstance(store, SQLiteStore) else f"sqlite:///{store.path}")
    yield other
    other.close()


def racing(count: int, target) -> list:
    """``target(n)`` for n in 0..count-1, in threads that start together; their results."""
    results: list = [None] * count
    start = threading.Barrier(count)

    def run(n: int) -> None:
        start.wait()
        results[n] = target(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_migrate_makes_every_table_once_and_db_migrate_too(store, capsys):
    service = service_store(store, migrate=False)
    assert service.migrate()[1] == SERVICE_SCHEMA_VERSION
    assert service.migrate() == (SERVICE_SCHEMA_VERSION, SERVICE_SCHEMA_VERSION)
    for table in SERVICE_TABLES:
        assert sql(store, f"SELECT COUNT(*) FROM {table}") == [(0,)]
    assert main(["db", "migrate", "--url", store.url]) == 0
    assert "the service tables is at version 1 already" in capsys.readouterr().out


def test_keys_are_kept_found_listed_and_revoked(store):
    service = service_store(store)
    service.add_key(KeyRow("key_000000000001", "ann", "h" * 64, "2026-01-01T00:00:00.000Z"))
    service.add_key(KeyRow("key_000000000002", "ann", "g" * 64, "2026-01-02T00:00:00.000Z"))
    assert service.key("key_000000000001").account == "ann" and service.key("key_nope") is None
    assert [k.key_id for k in service.keys(account="ann")] == ["key_000000000001", "key_000000000002"]
    assert service.revoke_key("key_000000000001", "2026-02-01T00:00:00.000Z")
    assert service.revoke_key("key_000000000001", "2026-03-01T00:00:00.000Z")  # the first revocation stays
    assert service.key("key_000000000001").revoked_at == "2026-02-01T00:00:00.000Z"
    assert not service.revoke_key("key_nope", "2026-02-01T00:00:00.000Z")


def test_the_request_window_slides(store):
    service = service_store(store)
    assert [service.count_request("k", second=100 + i, limit=3, window_s=60).allowed for i in range(4)] == \
        [True, True, True, False]
    refused = service.count_request("k", second=130, limit=3, window_s=60)
    assert not refused.allowed and refused.used == 3 and refused.oldest == 100
    assert service.count_request("k", second=160, limit=3, window_s=60).used == 3  # second 100 left the window


def test_requests_counted_at_once_from_two_processes_never_pass_the_limit(store, twin):
    stores = [service_store(store), service_store(twin)]
    allowed = racing(16, lambda n: stores[n % 2].count_request("hot", second=1000 + n % 3, limit=5,
                                                                window_s=60).allowed)
    assert allowed.count(True) == 5


def test_open_session_slots_and_exports_a_day_are_counted_atomically(store, twin):
    stores = [service_store(store), service_store(twin)]
    slots = racing(8, lambda n: stores[n % 2].claim_session_slot(f"c{n}", "ann", at=1000.0, limit=3, ttl_s=120).allowed)
    assert slots.count(True) == 3
    exports = racing(8, lambda n: stores[n % 2].count_export("ann", "2026-12-04", limit=2).allowed)
    assert exports.count(True) == 2
    stores[0].uncount_export("ann", "2026-12-04")
    assert stores[1].count_export("ann", "2026-12-04", limit=2).allowed


def test_one_command_per_session_whichever_process_claims(store, twin):
    stores = [service_store(store), service_store(twin)]
    claims = racing(6, lambda n: stores[n % 2].claim_command(CommandClaim("ses_a", f"acct{n}", 1000.0 + n, "h", n),
                                                             per_account=4, stale_before=0))
    assert [c for c in claims if c == []] == [[]]
    holder = next(CommandClaim("ses_a", f"acct{n}", 1000.0 + n, "h", n) for n, c in enumerate(claims) if c == [])
    assert stores[0].running_commands() == [holder]
    stores[1].release_command(holder.session_id, holder.started)
    assert stores[0].running_commands() == []


def test_idempotency_keys_are_claimed_once_and_replayed(store, twin):
    stores = [service_store(store), service_store(twin)]
    kinds = racing(6, lambda n: stores[n % 2].claim_request_key("ann", "k1", "fp", now=10.0, ttl_s=3600,
                                                                stale_s=600).kind)
    assert sorted(kinds) == ["in_progress"] * 5 + ["new"]
    stores[0].keep_answer("ann", "k1", 201, [("content-type", "application/json")], b'{"id": 1}')
    replay = stores[1].claim_request_key("ann", "k1", "fp", now=11.0, ttl_s=3600, stale_s=600)
    assert (replay.kind, replay.status, replay.headers, replay.body) == \
        ("replay", 201, [("content-type", "application/json")], b'{"id": 1}')
    assert stores[1].claim_request_key("ann", "k1", "other", now=11.0, ttl_s=3600, stale_s=600).kind == "mismatch"
    assert stores[0].claim_request_key("ann", "k2", "fp", now=0.0, ttl_s=3600, stale_s=600).kind == "new"
    assert stores[1].claim_request_key("ann", "k2", "fp", now=700.0, ttl_s=3600, stale_s=600).kind == "new"  # stale


def test_exports_are_found_while_their_session_is_open(store, session):
    service = service_store(store)
    record = ExportRecord("exp_0000000000000001", "ann", session.id, 0, "wav", "2026-01-01T00:00:00.000Z",
                          (("mix.wav", 10),), "2026-01-08T00:00:00.000Z")
    service.add_export(record)
    assert service.export(record.id, "ann", now="2026-01-02T00:00:00.000Z") == record
    assert service.export(record.id, "bob", now="2026-01-02T00:00:00.000Z") is None
    assert service.exports_to_drop(now="2026-01-02T00:00:00.000Z") == []
    assert service.exports_to_drop(now="2026-01-09T00:00:00.000Z") == [record.id]
    store.close_session(session.id, "2026-01-03T00:00:00.000Z")
    assert service.export(record.id, "ann", now="2026-01-04T00:00:00.000Z") is None
    assert service.exports_to_drop(now="2026-01-04T00:00:00.000Z") == [record.id]
    service.delete_exports([record.id])
    assert service.exports_to_drop(now="2030-01-01T00:00:00.000Z") == []


def test_a_secret_is_read_and_dropped(store):
    service = service_store(store)
    assert service.secret("url_signing") is None
    sql_insert = "INSERT INTO server_secrets (name, value) VALUES (?, ?)"
    if isinstance(store, SQLiteStore):
        with store.transaction() as db:
            db.execute(sql_insert, ("url_signing", "s" * 64))
    else:
        with store.transaction() as db:
            db.execute(sql_insert.replace("?", "%s"), ("url_signing", "s" * 64))
    assert service.secret("url_signing") == "s" * 64
    service.drop_secret("url_signing")
    assert service.secret("url_signing") is None
