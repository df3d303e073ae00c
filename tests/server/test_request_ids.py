"""Request ids (issue 18, item 2): every answer carries ``X-Request-Id``, every error body its
``request_id`` (the same), and the server's log lines carry it too, so a bug report can quote it."""

from __future__ import annotations

import logging
import re

import pytest

from orchestria_lab.client import Client
from orchestria_lab.errors import OrchestriaError


def test_every_answer_carries_a_request_id_and_errors_quote_it(alice, server):
    ok = alice.get("/v1/agents")
    assert re.fullmatch(r"req_[0-9a-f]{16}", ok.headers["x-request-id"])
    missing = alice.get("/v1/sessions/ses_0000000000000000")
    assert missing.status_code == 404
    assert missing.json()["error"]["request_id"] == missing.headers["x-request-id"]
    invalid = alice.post("/v1/sessions", json={"bpm": True, "key": "C", "genre": "pop"})
    assert invalid.status_code == 422 and invalid.json()["error"]["request_id"] == invalid.headers["x-request-id"]
    too_big = alice.post("/v1/sessions", content=b"x" * (server.settings.max_body_bytes + 1),
                         headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413 and too_big.json()["error"]["request_id"] == too_big.headers["x-request-id"]
    unauthorised = server.client().get("/v1/agents")
    assert unauthorised.status_code == 401 and unauthorised.json()["error"]["request_id"]
    assert len({ok.headers["x-request-id"], missing.headers["x-request-id"], invalid.headers["x-request-id"]}) == 3


def test_a_clients_own_request_id_is_kept_and_a_bad_one_replaced(alice):
    mine = alice.get("/v1/agents", headers={"X-Request-Id": "studio-42.a"})
    assert mine.headers["x-request-id"] == "studio-42.a"
    odd = alice.get("/v1/agents", headers={"X-Request-Id": "no spaces or <tags> please"})
    assert odd.headers["x-request-id"].startswith("req_")


def test_the_python_clients_errors_carry_the_request_id(server):
    with Client(server.url, server.key("ids")) as client, pytest.raises(OrchestriaError) as caught:
        client.open("ses_0000000000000000")
    assert re.fullmatch(r"req_[0-9a-f]{16}", str(caught.value.details.get("request_id")))


def test_server_log_lines_carry_the_request_id(caplog):
    from orchestria_lab.server.middleware import REQUEST_ID, RequestIdLogFilter

    log = logging.getLogger("orchestria_lab.server")
    log.addFilter(RequestIdLogFilter())
    token = REQUEST_ID.set("req_feedfacecafebeef")
    try:
        with caplog.at_level(logging.ERROR, logger="orchestria_lab.server"):
            log.error("internal_error on %s %s", "GET", "/v1/x")
    finally:
        REQUEST_ID.reset(token)
    assert "[req_feedfacecafebeef] internal_error on GET /v1/x" in caplog.text
