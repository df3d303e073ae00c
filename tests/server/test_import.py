"""MIDI import over REST (issue 15, item 1): ``POST /v1/sessions/{id}/import``, multipart, the file in
``file``; the answer is a command result, and a bad file makes no version and says what is wrong."""

from __future__ import annotations

import io

import pretty_midi


def midi_bytes(*, bars: int = 2) -> bytes:
    pm = pretty_midi.PrettyMIDI(initial_tempo=90)
    low = pretty_midi.Instrument(program=33, name="Track 1")
    kit = pretty_midi.Instrument(program=0, is_drum=True, name="Track 2")
    for b in range(bars * 4):
        low.notes.append(pretty_midi.Note(90, 40 + (b % 2) * 5, b * 60 / 90, (b + 0.9) * 60 / 90))
        kit.notes.append(pretty_midi.Note(100, 36, b * 60 / 90, (b + 0.25) * 60 / 90))
    pm.instruments += [low, kit]
    buf = io.BytesIO()
    pm.write(buf)
    return buf.getvalue()


def new_session(client) -> str:
    return client.post("/v1/sessions", json={"bpm": 90, "key": "Em", "genre": "rock", "bars": 4,
                                             "sample_rate": 22050}).json()["id"]


def test_an_import_is_a_version_whose_message_says_each_guess(alice):
    sid = new_session(alice)
    answer = alice.post(f"/v1/sessions/{sid}/import", files={"file": ("mine.mid", midi_bytes(), "audio/midi")})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] == 1 and "bass (program 34, a bass)" in body["message"] and "drums (channel 10)" in body["message"]
    assert {row["stem_id"] for row in body["diff"]} >= {"track-1", "track-2"}
    stems = {s["id"]: s for s in alice.get(f"/v1/sessions/{sid}/stems").json()}
    assert stems["track-1"]["role"] == "bass" and stems["track-2"]["role"] == "drums"
    named = alice.post(f"/v1/sessions/{sid}/import", files={"file": ("x.mid", midi_bytes(), "audio/midi")},
                       data={"role": "pad", "name": "mine"})
    assert named.status_code == 200 and named.json()["version"] == 2 and "pad (as asked)" in named.json()["message"]


def test_bad_files_are_4xx_with_what_is_wrong_and_make_no_version(alice):
    sid = new_session(alice)
    cases = [(b"not a midi file", 422, "not MIDI"), (b"", 422, "empty"),
             (b"MThd" + b"\0" * (1 << 20), 413, "1048576"), (midi_bytes(), 422, "role")]
    for data, status, says in cases:
        extra = {"data": {"role": "kazoo"}} if says == "role" else {}
        answer = alice.post(f"/v1/sessions/{sid}/import", files={"file": ("f.mid", data, "audio/midi")}, **extra)
        assert answer.status_code == status, (says, answer.status_code, answer.text[:200])
        assert says in answer.text
    assert alice.get(f"/v1/sessions/{sid}").json()["version"] == 0
    missing = alice.post(f"/v1/sessions/{sid}/import", data={"role": "bass"})
    assert missing.status_code == 422


def test_the_python_client_imports_like_the_library(server, tmp_path):
    from orchestria_lab.client import Client

    path = tmp_path / "mine.mid"
    path.write_bytes(midi_bytes())
    with Client(server.url, server.key("importer")) as client:
        remote = client.create(bpm=90, key="Em", genre="rock", bars=4)
        result = remote.import_midi(path, name="riff")
        assert result.version == remote.version == 1 and "channel 10" in result.message
        assert {"riff-track-1", "riff-track-2"} <= set(remote.stems["stem_id"])


def test_a_session_is_made_from_a_midi_file_over_rest(alice, server):
    answer = alice.post("/v1/sessions", files={"file": ("song.mid", midi_bytes(bars=2), "audio/midi")},
                        data={"genre": "rock", "sample_rate": "22050"})
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["version"] == 1 and made["bpm"] == 90 and made["bars"] == 2
    stems = alice.get(f"/v1/sessions/{made['id']}/stems").json()
    assert sorted(s["role"] for s in stems) == ["bass", "drums"]
    bad = alice.post("/v1/sessions", files={"file": ("x.mid", b"nope", "audio/midi")}, data={"genre": "rock"})
    assert bad.status_code == 422 and "not MIDI" in bad.text
    no_genre = alice.post("/v1/sessions", files={"file": ("x.mid", midi_bytes(), "audio/midi")})
    assert no_genre.status_code == 422 and "genre" in no_genre.text
    assert alice.post("/v1/sessions", json={"bpm": 90, "key": "Cm", "genre": "lo-fi"}).status_code == 201  # JSON as before
    from orchestria_lab.client import Client

    with Client(server.url, server.key("maker")) as client:
        remote = client.from_midi(midi_bytes(), genre="rock", key="E minor", sample_rate=22050)
        assert remote.version == 1 and remote.meta["key"] == "Em"
