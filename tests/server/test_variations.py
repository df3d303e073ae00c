"""Variations over REST (issue 15, item 3): the command result lists the candidates with scores and
audio URLs; ``POST /v1/sessions/{id}/choose`` makes one the new version; bad choices say what is valid."""

from __future__ import annotations

import io
import wave

import pandas as pd
import pytest


@pytest.fixture
def varied(alice):
    sid = alice.post("/v1/sessions", json={"bpm": 100, "key": "C", "genre": "pop", "bars": 4, "seed": 11,
                                           "sample_rate": 22050}).json()["id"]
    assert alice.post(f"/v1/sessions/{sid}/command", json={"text": "add piano chords and a melody"}).status_code == 200
    answer = alice.post(f"/v1/sessions/{sid}/command", json={"text": "give me 3 variations of the melody"})
    assert answer.status_code == 200, answer.text
    return sid, answer.json()


def test_the_command_result_lists_the_candidates_ranked_with_audio(alice, server, varied):
    sid, body = varied
    takes = body["candidates"]
    assert body["version"] == 2 and [c["candidate"] for c in takes] == [1, 2, 3]
    assert [c["chosen"] for c in takes] == [True, False, False]
    scores = [c["score"] for c in takes]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert set(takes[0]["scores"]) == {"likelihood", "in_key", "chord_tones", "repetition", "range", "fit"}
    assert [s["hash"] for s in body["session"]["stems"]] == takes[0]["stems"]
    version = body["session"]["versions"][-1]
    assert (version["candidate"], version["score"]) == (1, pytest.approx(scores[0]))
    audio = alice.get(takes[1]["audio_url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.content)) as w:
        assert w.getframerate() == 22050 and w.getnframes() > 0
    with server.client() as anonymous:  # the signed URL opens without a key; the plain one does not
        assert anonymous.get(takes[1]["signed_audio_url"]).content == audio.content
        assert anonymous.get(takes[1]["audio_url"]).status_code == 401
    listed = alice.get(f"/v1/sessions/{sid}/versions/2/candidates").json()
    assert [c["stems"] for c in listed] == [c["stems"] for c in takes]


def test_choose_makes_one_version_playing_the_candidate(alice, varied):
    sid, body = varied
    chosen = alice.post(f"/v1/sessions/{sid}/choose", json={"candidate": 3})
    assert chosen.status_code == 200, chosen.text
    out = chosen.json()
    assert out["version"] == 3 and [s["hash"] for s in out["session"]["stems"]] == body["candidates"][2]["stems"]
    last = out["session"]["versions"][-1]
    assert (last["kind"], last["candidate"]) == ("choose", 3)
    again = alice.post(f"/v1/sessions/{sid}/choose", json={"candidate": 2, "version": 2})
    assert again.status_code == 200 and again.json()["version"] == 4
    words = alice.post(f"/v1/sessions/{sid}/command", json={"text": "take the third one"})
    assert words.status_code == 200 and words.json()["version"] == 5


def test_bad_choices_are_422s_that_say_what_is_valid_and_make_no_version(alice, varied):
    sid, _ = varied
    out_of_range = alice.post(f"/v1/sessions/{sid}/choose", json={"candidate": 7})
    assert out_of_range.status_code == 422 and "from 1 to 3" in out_of_range.json()["error"]["message"]
    assert alice.post(f"/v1/sessions/{sid}/choose", json={"candidate": 0}).status_code == 422
    no_takes = alice.post(f"/v1/sessions/{sid}/choose", json={"candidate": 2, "version": 1})
    assert no_takes.status_code == 422 and "a version with candidates (2)" in no_takes.json()["error"]["message"]
    too_many = alice.post(f"/v1/sessions/{sid}/command", json={"text": "give me 20 variations of the melody"})
    assert too_many.status_code == 422 and "from 2 to 8 takes" in too_many.json()["error"]["message"]
    assert alice.get(f"/v1/sessions/{sid}").json()["version"] == 2


def test_the_schema_names_the_choose_route_and_the_candidates(alice):
    spec = alice.get("/openapi.json").json()
    assert "/v1/sessions/{session_id}/choose" in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert {"CandidateOut", "ChooseRequest", "CriticScores"} <= set(schemas)
    assert "candidates" in schemas["CommandResultOut"]["properties"]


def test_the_python_client_chooses_and_lists_candidates_as_a_local_session(server):
    from orchestria_lab import Session
    from orchestria_lab.client import Client

    with Client(server.url, server.key("notebook")) as client:
        remote = client.create(bpm=100, key="C", genre="pop", seed=11, bars=4)
        remote.command("add piano chords and a melody")
        result = remote.command("give me 3 variations of the melody")
        assert result.candidates["candidate"].tolist() == [1, 2, 3]
        assert result.candidates["audio_url"].str.contains("/versions/2/candidates/").all()
        chosen = remote.choose(2)
        assert chosen.version == remote.version == 3
        local = Session.open(remote.id, server.store)
        assert [s.hash for s in local.state.stems] == result.candidates.loc[1, "stems"]
        assert remote.candidates()["stems"].tolist() == local.candidates()["stems"].tolist()
        pd.testing.assert_frame_equal(remote.versions, local.versions)


def test_a_streamed_variations_command_ends_with_the_candidates(alice, varied):
    import json

    sid, _ = varied
    with alice.stream("POST", f"/v1/sessions/{sid}/command", json={"text": "give me 2 variations of the melody"},
                      headers={"Accept": "text/event-stream"}) as events:
        text = "".join(events.iter_text())
    blocks = [b for b in text.split("\n\n") if b.startswith("event: result") or "\nevent: result" in b]
    assert blocks, text[-500:]
    data = json.loads(next(line[6:] for line in blocks[-1].splitlines() if line.startswith("data: ")))
    assert [c["candidate"] for c in data["candidates"]] == [1, 2] and data["version"] == 3
