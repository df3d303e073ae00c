"""End to end in a real browser: JupyterLab on loopback, 01_quickstart run in headless Chromium.

The test starts JupyterLab on 127.0.0.1 (a free port, a known token, a temporary root holding a
copy of the notebook and its own database), opens the notebook in Debian's Chromium driven by
Playwright, runs every cell, and waits for the Studio's command box to be rendered by the
widget manager. It then types a command into that box and presses Enter, and waits for the
Studio's header to show the next version: the keyboard path a person uses, through the real
front-end; the mix player opened before the command must then hold the new version's mix.
A second test downloads exports as a person does: the WAV's data link, then (with data links
turned off in a new cell) a MIDI file through the Jupyter server's ``files/`` URL. Screenshots
are kept in ``test-artifacts/``.

Chromium comes from the distribution (``tests/e2e/setup_browser.sh`` installs it if missing);
Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "01_quickstart.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
TOKEN = "orchestria-e2e"
#: User settings for a quiet, unattended Lab: start the kernel without asking, no news pop-up.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def _ensure_browser() -> None:
    setup = subprocess.run(["sh", str(Path(__file__).with_name("setup_browser.sh"))],
                           capture_output=True, text=True, timeout=600)
    if setup.returncode == 3:  # the script's code for "cannot install here" (no root, no apt)
        pytest.skip("Chromium is missing and cannot be installed here: " + setup.stderr.strip())
    assert setup.returncode == 0, f"setup_browser.sh failed:\n{setup.stdout}\n{setup.stderr}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer on {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on loopback, rooted in a temporary folder holding 01_quickstart."""
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    env = {**os.environ,
           "ORCHESTRIA_DB": str(tmp_path / "orchestria.db"), "ORCHESTRIA_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
           "IPYTHONDIR": str(tmp_path / "ipython"), "OMP_NUM_THREADS": "1"}
    for name, settings in LAB_SETTINGS.items():
        path = tmp_path / "lab-settings" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    port = _free_port()
    log = tmp_path / "jupyterlab.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
             "--port-retries=0", f"--ServerApp.root_dir={work}", f"--IdentityProvider.token={TOKEN}",
             "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False",
             *(["--allow-root"] if os.geteuid() == 0 else [])],
            cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_server(f"http://127.0.0.1:{port}/api/status?token={TOKEN}", proc, log)
        yield f"http://127.0.0.1:{port}", log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def quickstart_studio(base: str, log: Path) -> Iterator[Any]:
    """A Chromium page on 01_quickstart with every cell run and the Studio on screen.

    On any failure a full-page screenshot and the tail of JupyterLab's log are kept.
    """
    _ensure_browser()
    sync_api = pytest.importorskip("playwright.sync_api", reason="the dev extra installs playwright")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={TOKEN}", timeout=60_000)
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=60_000)
            page.get_by_text(re.compile(r"\| Idle$")).first.wait_for(timeout=60_000)  # kernel connected
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            page.locator(".orchestria-command input").last.wait_for(state="visible", timeout=90_000)
            yield page
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert "Traceback" not in "".join(errors.all_inner_texts())
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "e2e_quickstart_failure.png"), full_page=True)
            print(log.read_text()[-3000:])
            raise
        finally:
            browser.close()


def type_a_command(page: Any, text: str) -> int:
    """Type ``text`` into the Studio's box, press Enter, wait for the next version; returns it."""
    box = page.locator(".orchestria-command input").last
    header = page.locator(".orchestria-studio .orchestria-header").last
    version = int(re.search(r" · v(\d+) · ", header.inner_text()).group(1)) + 1
    box.click()
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(
        "([n]) => [...document.querySelectorAll('.orchestria-studio .orchestria-header')]"
        ".some(h => h.innerText.includes(' · v' + n + ' · '))", arg=[version], timeout=60_000)
    assert box.is_visible()
    return version


def test_quickstart_renders_the_studio_in_chromium(jupyterlab):
    base, log = jupyterlab
    shot = ARTIFACTS / "e2e_quickstart_studio.png"
    with quickstart_studio(base, log) as page:
        studio = page.locator(".orchestria-studio").last
        studio.locator("button", has_text="listen to the mix").click()
        player = studio.locator("audio.orchestria-mix-player")
        player.wait_for(state="visible", timeout=30_000)
        before = player.get_attribute("src")
        assert before and before.startswith("blob:"), before

        type_a_command(page, "add a melody on electric piano")
        # the player stays, holding the new version's mix (a new blob)
        page.wait_for_function("([old]) => { const a = document.querySelector("
                               "'.orchestria-studio audio.orchestria-mix-player');"
                               " return a && a.src && a.src !== old && a.offsetParent !== null; }",
                               arg=[before], timeout=30_000)
        page.wait_for_function("() => { const a = document.querySelector('.orchestria-studio audio.orchestria-mix-player');"
                               " return a.readyState >= 1 && a.duration > 18; }", timeout=30_000)  # it plays 21 s
        studio.locator(".orchestria-header").evaluate("h => h.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000


def test_the_studio_downloads_exports_in_chromium(jupyterlab, tmp_path):
    import soundfile

    expect = pytest.importorskip("playwright.sync_api", reason="the dev extra installs playwright").expect
    base, log = jupyterlab
    shot = ARTIFACTS / "e2e_studio_export.png"
    with quickstart_studio(base, log) as page:
        version = type_a_command(page, "add a melody on electric piano")
        studio = page.locator(".orchestria-studio").last
        studio.locator(".lm-TabBar-tabLabel", has_text=re.compile(r"^Export$")).click()
        studio.locator(".orchestria-export-wav").click()
        link = studio.locator(".orchestria-export-log a.orchestria-download[download$='.wav']")
        link.wait_for(state="visible", timeout=60_000)
        name = link.get_attribute("download")
        assert name.endswith(f"_v{version}.wav") and link.get_attribute("href").startswith("data:audio/wav;base64,")
        with page.expect_download(timeout=30_000) as caught:
            link.click()
        wav = tmp_path / "downloads" / caught.value.suggested_filename
        caught.value.save_as(wav)
        assert wav.name == name
        head = wav.read_bytes()[:12]
        assert head[:4] == b"RIFF" and head[8:12] == b"WAVE", head
        info = soundfile.info(str(wav))
        assert info.channels == 2 and 18 < info.duration < 30, info  # 8 bars at 90 bpm: 21.3 s, and a tail
        studio.locator(".orchestria-export-log").evaluate("e => e.scrollIntoView({block: 'center'})")
        page.screenshot(path=str(shot), full_page=False)

        # a file too large for a data link: Jupyter serves it from its root (data links off for this)
        page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").last.click()
        page.keyboard.press("b")
        page.keyboard.press("Enter")
        page.keyboard.type("studio.data_link_max_bytes = 0")
        page.keyboard.press("Shift+Enter")
        typed = page.locator(".jp-Notebook .jp-CodeCell", has_text="data_link_max_bytes").locator(".jp-InputPrompt")
        expect(typed).to_have_text(re.compile(r"\[\d+\]"), timeout=30_000)  # it ran
        studio.locator(".orchestria-export-midi").click()
        served = studio.locator(".orchestria-export-log a.orchestria-download[download$='.mid']")
        served.wait_for(state="visible", timeout=30_000)
        href = served.get_attribute("href")
        assert href.startswith("/files/out/01_quickstart/studio/"), href
        with page.expect_download(timeout=30_000) as caught:
            served.click()
        midi = tmp_path / "downloads" / caught.value.suggested_filename
        caught.value.save_as(midi)
        on_disk = tmp_path / "lab" / href.removeprefix("/files/")
        assert midi.read_bytes()[:4] == b"MThd" and midi.read_bytes() == on_disk.read_bytes()
    assert shot.stat().st_size > 10_000
