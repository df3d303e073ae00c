"""The Studio's A/B tab auditions a variations command's candidates and chooses one with a click."""

from __future__ import annotations

import pytest

from orchestria_lab import Session
from orchestria_lab.widgets import Studio


@pytest.fixture
def studio(store):
    session = Session.create(bpm=100, key="C", genre="pop", bars=4, sample_rate=22050, seed=11, store=store)
    session.command("add piano chords and a melody")
    return Studio(session)


def test_the_ab_tab_lists_the_candidates_and_a_click_chooses_one(studio):
    session = studio.session
    assert studio.take_rows == [] and "No variations yet" in studio.takes_box.children[0].value
    studio.command_box.value = "give me 3 variations of the melody"
    studio.run_button.click()
    assert studio.last_error is None, studio.last_error
    rows = studio.take_rows
    table = session.candidates()
    assert [r.candidate for r in rows] == [1, 2, 3] and all(r.version == 2 for r in rows)
    assert "playing now" in rows[0].label.value and rows[0].choose.disabled and not rows[1].choose.disabled
    assert f"{table.loc[1, 'score']:.3f}" in rows[1].label.value and "in key" in rows[1].label.value
    rows[2].listen.click()  # its player holds the mix as take 3 plays it
    assert studio.last_error is None and rows[2].player.value[:4] == b"RIFF" and rows[2].player.layout.display is None
    rows[1].choose.click()
    assert studio.last_error is None, studio.last_error
    assert session.version == 3 and session.records[-1].kind == "choose"
    assert [s.hash for s in session.state.stems] == table.loc[1, "stems"]
    assert "playing now" in studio.take_rows[1].label.value and studio.take_rows[1].choose.disabled
    assert "Version 3" in studio.result.value


def test_choosing_what_plays_is_a_note_not_an_error(studio):
    studio.run("give me 2 variations of the melody")
    assert studio.choose(1) is None and "what plays now" in studio.result.value
    assert studio.session.version == 2


def test_the_ab_tab_works_over_http(tmp_path):
    from orchestria_lab.client import Client
    from orchestria_lab.server.app import create_app
    from orchestria_lab.server.keys import create_key
    from orchestria_lab.server.settings import Settings
    from orchestria_lab.server.testing import serve_in_thread
    from orchestria_lab.session.store import SQLiteStore

    store = SQLiteStore(tmp_path / "server.db")
    live = serve_in_thread(create_app(store=store, settings=Settings(data_dir=tmp_path / "data",
                                                                     requests_per_minute=10_000)))
    try:
        with Client(live.url, create_key(store, "studio").key) as client:
            remote = client.create(bpm=100, key="C", genre="pop", bars=2, sample_rate=22050, seed=11)
            studio = Studio(remote)
            studio.run("add piano chords and a melody")
            studio.run("give me 3 variations of the melody")
            assert [r.candidate for r in studio.take_rows] == [1, 2, 3], studio.last_error
            studio.take_rows[1].listen.click()  # the server renders the take; its signed-or-keyed URL is fetched
            assert studio.last_error is None and studio.take_rows[1].player.value[:4] == b"RIFF"
            studio.take_rows[2].choose.click()
            assert studio.last_error is None, studio.last_error
            assert remote.version == 3 and remote.versions.iloc[-1]["candidate"] == 3
    finally:
        live.stop()
