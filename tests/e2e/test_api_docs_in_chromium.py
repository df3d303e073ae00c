"""``/docs`` and ``/redoc`` render offline in Chromium, listing every endpoint (issue 18, item 1).

A real server on loopback, and Debian's headless Chromium told that no host but 127.0.0.1
exists, so a page that reached for a CDN would stay blank. The DOM Chromium holds once the
page's scripts have run must list every path of the OpenAPI spec, with the seed's examples.
"""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest

from orchestria_lab.server.app import create_app
from orchestria_lab.server.settings import Settings
from orchestria_lab.server.testing import serve_in_thread
from orchestria_lab.session.store import SQLiteStore
from tests.e2e.test_quickstart_in_chromium import CHROMIUM, CHROMIUM_ARGS, _ensure_browser

#: Every host but loopback fails to resolve: a CDN fetch cannot succeed, here or on a networked machine.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def rendered_dom(url: str, profile) -> str:
    """The DOM of ``url`` after its scripts ran (up to 20 s of the page's own time)."""
    done = subprocess.run([str(CHROMIUM), *CHROMIUM_ARGS, OFFLINE, f"--user-data-dir={profile}",
                           "--virtual-time-budget=20000", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory):
    _ensure_browser()
    root = tmp_path_factory.mktemp("docs")
    live = serve_in_thread(create_app(store=SQLiteStore(root / "orchestria.db"), settings=Settings(data_dir=root)))
    yield live
    live.stop()


def spec_paths(server) -> set[str]:
    return set(httpx.get(server.url + "/openapi.json", timeout=10).json()["paths"])


def test_swagger_ui_lists_every_endpoint_offline(docs_server, tmp_path):
    html = httpx_get_text(docs_server.url + "/docs")
    assert "cdn" not in html.lower() and "https://" not in html, "the page itself must not name a CDN"
    dom = rendered_dom(docs_server.url + "/docs", tmp_path / "profile")
    listed = set(re.findall(r'data-path="([^"]+)"', dom))
    assert listed == spec_paths(docs_server), f"missing: {spec_paths(docs_server) - listed}"
    assert "Orchestria Lab API (preview)" in dom


def test_redoc_lists_every_endpoint_offline(docs_server, tmp_path):
    html = httpx_get_text(docs_server.url + "/redoc")
    assert "fonts.googleapis" not in html and "cdn" not in html.lower()
    dom = rendered_dom(docs_server.url + "/redoc", tmp_path / "profile")
    for path in spec_paths(docs_server):
        assert path in dom, f"ReDoc does not show {path}"
    # the seed's curl calls are the examples of the two bodies they send
    assert "Add warm piano chords with reverb" in dom and "lo-fi" in dom


def httpx_get_text(url: str) -> str:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response.text
