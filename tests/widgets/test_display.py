"""Rich display: a session as the last expression of a cell shows a summary, its stems, a player."""

from __future__ import annotations

import base64
import io
import re
import wave

import numpy as np
import pytest

from orchestria_lab import Session
from orchestria_lab.state import Edit, Note, Stem
from orchestria_lab.widgets import display


def _with_chords(session):
    session.commit(Edit(add=[Stem("keys", role="chords", instrument="piano", agent="harmony", name="keys",
                                  notes=[Note(60, 0, 2, 90), Note(63, 0, 2, 90), Note(67, 2, 2, 90)])]),
                   command="hand-made chords")
    return session


def test_an_empty_session_shows_its_summary_and_says_how_to_start(session):
    bundle = session._repr_mimebundle_()
    assert bundle["text/plain"] == repr(session)
    html = bundle["text/html"]
    assert f"Session {session.id}" in html and "90 bpm" in html and "0 stems" in html
    assert "<audio" not in html and "No stems yet" in html and "<table" not in html


def test_a_session_with_stems_shows_the_table_and_a_playable_mix(store):
    session = _with_chords(Session.create(bpm=120, key="C", genre="pop", bars=2, sample_rate=22050, seed=1,
                                          store=store))
    html = session._repr_mimebundle_()["text/html"]
    assert 'class="dataframe orchestria-stems"' in html and "<td>keys</td>" in html and "hash" not in html
    encoded = re.search(r'src="data:audio/wav;base64,([^"]+)"', html).group(1)
    with wave.open(io.BytesIO(base64.b64decode(encoded))) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 22050, 2)
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert wav.getnframes() >= 22050 * 4 * 0.99, "2 bars at 120 bpm is 4 seconds"
    assert np.abs(pcm).max() > 100, "the player holds sound, not silence"


def test_a_long_piece_is_not_rendered_inline(store, monkeypatch):
    session = _with_chords(Session.create(bpm=60, key="C", genre="pop", bars=64, seed=1, store=store))
    monkeypatch.setattr(type(session), "render", lambda *a, **k: pytest.fail("rendered a 256 s piece inline"))
    html = display.mimebundle(session)["text/html"]
    assert "<audio" not in html and "too long for an inline player" in html and "<td>keys</td>" in html


def test_a_failed_render_becomes_a_note_not_a_broken_cell(session, monkeypatch):
    _with_chords(session)

    def broken(*a, **k):
        raise RuntimeError("synth exploded\nwith details")

    monkeypatch.setattr(type(session), "render", broken)
    html = display.mimebundle(session)["text/html"]
    assert "rendering failed (RuntimeError: synth exploded)" in html


def test_a_version_view_displays_like_a_session(session):
    _with_chords(session)
    html = session.at(0)._repr_mimebundle_()["text/html"]
    assert "· v0 ·" in html and "No stems yet" in html


def test_wav_bytes_round_trip_and_clip():
    tone = np.stack([np.linspace(-2, 2, 1000), np.zeros(1000)]).astype(np.float32)
    with wave.open(io.BytesIO(display.wav_bytes(tone, sr=8000))) as wav:
        pcm = np.frombuffer(wav.readframes(1000), dtype="<i2").reshape(-1, 2).T
    assert pcm[0].min() == -32767 and pcm[0].max() == 32767 and not pcm[1].any()
