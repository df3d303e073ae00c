"""End to end in a real browser: JupyterLab on loopback, 01_quickstart run in headless Chromium.

The test starts JupyterLab on 127.0.0.1 (a free port, a known token, a temporary root holding a
copy of the notebook and its own database), opens the notebook in Debian's Chromium driven by
Playwright, runs every cell, and waits for the Studio's command box to be rendered by the
widget manager. It then types a command into that box and presses Enter, and waits for the
Studio's header to show the next version: the keyboard path a person uses, through the real
front-end. A screenshot is kept in ``test-artifacts/``.

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
from pathlib import Path

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


def test_quickstart_renders_the_studio_in_chromium(jupyterlab, tmp_path):
    _ensure_browser()
    sync_api = pytest.importorskip("playwright.sync_api", reason="the dev extra installs playwright")
    base, log = jupyterlab
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "e2e_quickstart_studio.png"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={TOKEN}", timeout=60_000)
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=60_000)
            page.get_by_text(re.compile(r"\| Idle$")).first.wait_for(timeout=60_000)  # kernel connected
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            box = page.locator(".orchestria-command input").last
            box.wait_for(state="visible", timeout=90_000)
            header = page.locator(".orchestria-studio .orchestria-header").last
            before = int(re.search(r" · v(\d+) · ", header.inner_text()).group(1))

            box.click()
            box.fill("add a melody on electric piano")
            box.press("Enter")
            page.wait_for_function(
                "([n]) => [...document.querySelectorAll('.orchestria-studio .orchestria-header')]"
                ".some(h => h.innerText.includes(' · v' + n + ' · '))", arg=[before + 1], timeout=60_000)
            header.evaluate("h => h.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(shot), full_page=False)
            assert box.is_visible()
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert "Traceback" not in "".join(errors.all_inner_texts())
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "e2e_quickstart_failure.png"), full_page=True)
            print(log.read_text()[-3000:])
            raise
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
