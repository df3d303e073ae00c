"""The same Studio over HTTP: a RemoteSession from the client, against a real server on loopback."""

from __future__ import annotations

import pytest

from orchestria_lab.client import Client
from orchestria_lab.server.app import create_app
from orchestria_lab.server.keys import create_key
from orchestria_lab.server.settings import Settings
from orchestria_lab.server.testing import serve_in_thread
from orchestria_lab.session.store import SQLiteStore
from orchestria_lab.widgets import Studio


@pytest.fixture
def remote(tmp_path):
    store = SQLiteStore(tmp_path / "server.db")
    settings = Settings(data_dir=tmp_path / "server-data", requests_per_minute=10_000)
    live = serve_in_thread(create_app(store=store, settings=settings))
    client = Client(live.url, create_key(store, "studio").key)
    try:
        yield client.create(bpm=90, key="Cm", genre="lo-fi", bars=2, sample_rate=22050, seed=7)
    finally:
        client.close()
        live.stop()


def test_the_studio_drives_a_remote_session(remote, tmp_path):
    studio = Studio(remote)
    seen = []
    studio.status.observe(lambda change: seen.append(change["new"]), "value")

    studio.command_box.value = "add a boom bap drum beat"
    studio.run_button.click()
    assert studio.last_error is None, studio.last_error
    assert remote.refresh().version == 1
    assert any("orchestria-agent-working" in html for html in seen), "events streamed over SSE drive the status"

    drums = remote.stems.iloc[0]["stem_id"]
    studio.stem_rows[drums].mute.value = True  # no planner over HTTP: the words go, and plan the same
    assert studio.last_error is None, studio.last_error
    assert remote.refresh().version == 2 and bool(remote.stems.iloc[0]["muted"]) is True

    studio.history.value = 0
    studio.rollback_button.click()
    assert remote.refresh().version == 3 and remote.stems.empty

    studio.tabs.selected_index = 1
    assert studio.roll.value[:4] == b"\x89PNG"
    studio.ab_a.value, studio.ab_b.value = 1, 2
    studio.ab_button.click()
    assert studio.last_error is None, studio.last_error
    assert studio.player_a.value[:4] == b"RIFF" and "muted" in studio.ab_diff.value

    studio.out_dir.value = str(tmp_path / "exports")
    studio.export_version.value = 1
    studio.export_buttons["midi"].click()
    assert studio.last_error is None, studio.last_error
    assert (tmp_path / "exports" / f"{remote.id}_v1.mid").exists()
