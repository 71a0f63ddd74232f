"""Browser tests against a real JupyterLab: one server and one Chromium per session.

Fixtures:
    jupyter_server  a JupyterLab on a free port with a temporary root (session)
    browser         headless Debian Chromium driven by Playwright (session)
    browser_context a fresh context with camera permission (per test)
    open_notebook   write a notebook into the root and open it, in Lab or Notebook 7

Facts these rely on are in /work/shared/e2e-notes.md. Chromium comes from apt
(``/usr/bin/chromium``); ``playwright install`` is never needed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CNNWIDGET_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # The fake camera (a moving test pattern). No --use-fake-ui-for-media-stream: that flag grants
    # the camera to every context, while without it the context's permissions decide (granted
    # with permissions=["camera"], NotAllowedError without), so "permission denied" is testable.
    "--use-fake-device-for-media-stream",
]
SERVER_START_S = 120
KERNEL_READY_S = 120
# Uncaught page errors that come from the Jupyter front ends themselves, not from widgets.
KNOWN_PAGE_ERRORS = (
    "Cannot read properties of undefined (reading 'schema')",  # Notebook 7.6 at load, even for "1+1"
    "Command 'filebrowser:open-path' not registered.",  # Notebook 7 at load, when the server has run other notebooks
)
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

# JupyterLab settings that keep the page deterministic: no news toasts, every cell rendered.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


# ----- front-end bundle ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def frontend_bundle() -> Path:
    """``cnnwidget/static/index.js``, rebuilt with ``node build.mjs`` when older than ``js/``."""
    bundle = REPO / "cnnwidget" / "static" / "index.js"
    sources = [p for p in (REPO / "js").rglob("*") if p.is_file()] + [REPO / "build.mjs"]
    newest = max(p.stat().st_mtime for p in sources)
    if not bundle.exists() or bundle.stat().st_mtime < newest:
        node = shutil.which("node")
        if node is None:
            pytest.fail("the front-end bundle is missing or stale and Node.js is not on PATH: run `npm install && node build.mjs`")
        subprocess.run([node, "build.mjs"], cwd=REPO, check=True, capture_output=True, timeout=120)
    return bundle


# ----- JupyterLab server -----------------------------------------------------------------------


@dataclass
class JupyterServer:
    """A running JupyterLab: its base ``url`` and the ``root`` directory it serves."""

    url: str
    root: Path
    log: Path
    process: subprocess.Popen = field(repr=False)

    def api(self, path: str, method: str = "GET", timeout: float = 10):
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def write_notebook(self, name: str, cells: list[str]) -> Path:
        """Write ``name`` (``.ipynb``) with one code cell per source string and a python3 kernelspec."""
        nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(source) for source in cells],
            metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
        )
        path = self.root / name
        nbformat.write(nb, path)
        return path

    def wait_kernel_idle(self, name: str, timeout: float = KERNEL_READY_S) -> None:
        """Wait until the kernel of the session for notebook ``name`` reports ``idle``."""
        deadline = time.monotonic() + timeout
        state = "no session"
        while time.monotonic() < deadline:
            for session in self.api("/api/sessions"):
                if session.get("path") == name:
                    state = self.api(f"/api/kernels/{session['kernel']['id']}")["execution_state"]
                    if state == "idle":
                        return
            time.sleep(0.25)
        raise TimeoutError(f"kernel for {name} not idle after {timeout}s (state: {state})\n{self.log_tail()}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_jupyterlab(base: Path) -> Iterator[JupyterServer]:
    """JupyterLab on a free port serving ``base/root`` (settings under ``base/home``); its kernels
    import this checkout. Stopped, with its kernels, on exit. Also used by benchmarks/bench_click.py."""
    root, home = base / "root", base / "home"
    root.mkdir()
    settings = home / "settings"
    for rel, value in LAB_SETTINGS.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(value))
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(home / "ipython"),
        OMP_NUM_THREADS="1",  # two cores shared with everything else
    )
    port = _free_port()
    log = base / "jupyterlab.log"
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
        "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
        "--ServerApp.disable_check_xsrf=True", "--allow-root", "--LabApp.news_url=None",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = JupyterServer(f"http://127.0.0.1:{port}", root, log, process)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {process.returncode}:\n{server.log_tail()}")
            try:
                server.api("/api", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer /api within {SERVER_START_S}s:\n{server.log_tail()}")
                time.sleep(0.25)
        yield server
    finally:
        _stop(server)


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory, frontend_bundle) -> Iterator[JupyterServer]:
    """JupyterLab on a free port, serving a temporary root; its kernels import this checkout."""
    with running_jupyterlab(tmp_path_factory.mktemp("jupyter")) as server:
        yield server


def _stop(server: JupyterServer) -> None:
    """Shut the server (and its kernels) down; escalate to SIGTERM, then SIGKILL of its own group."""
    process = server.process
    if process.poll() is None:
        try:
            server.api("/api/shutdown", method="POST", timeout=5)
            process.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)  # the group started above: the server and its kernels
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue


# ----- browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium under Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get update && apt-get install -y chromium` "
            "(do not use `playwright install`), or set CNNWIDGET_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_context(browser):
    """A fresh browser context with the (fake) camera allowed; closed after the test."""
    context = browser.new_context(permissions=["camera"], viewport={"width": 1400, "height": 1000})
    yield context
    context.close()


# ----- notebooks -------------------------------------------------------------------------------


@dataclass
class NotebookPage:
    """An open notebook: run its cells and read their outputs."""

    page: object  # playwright.sync_api.Page
    name: str
    server: JupyterServer
    errors: list[str] = field(default_factory=list)

    @property
    def widget_errors(self) -> list[str]:
        """Uncaught page errors, less the known ones of JupyterLab/Notebook themselves."""
        return [e for e in self.errors if not any(known in e for known in KNOWN_PAGE_ERRORS)]

    def cell(self, index: int):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def run_cell(self, index: int, timeout_s: float = 180) -> None:
        """Run cell ``index`` (click its editor, Shift+Enter) and wait until its prompt shows a new count."""
        from playwright.sync_api import expect

        cell = self.cell(index)
        prompt = cell.locator(".jp-InputPrompt")
        before = prompt.inner_text().strip()
        cell.locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Shift+Enter")
        done = re.compile(r"^\[\d+\]:?$")
        deadline = time.monotonic() + timeout_s
        while True:
            text = prompt.inner_text().strip()
            if done.match(text) and text != before:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"cell {index} of {self.name} still shows {text!r} after {timeout_s}s")
            self.page.wait_for_timeout(100)
        expect(cell).not_to_have_class(re.compile("jp-mod-running"))

    def output_text(self, index: int) -> str:
        """The text of cell ``index``'s outputs (stdout, results, tracebacks)."""
        return "\n".join(self.cell(index).locator(".jp-OutputArea-output").all_inner_texts())

    def run_and_read(self, index: int, timeout_s: float = 180) -> str:
        """Run cell ``index`` and return the text of its outputs (stdout, results, errors)."""
        self.run_cell(index, timeout_s)
        return self.output_text(index)


@pytest.fixture(scope="session")
def open_notebook(jupyter_server) -> Callable[..., NotebookPage]:
    """Factory: ``open_notebook(context, name, cells, ui="lab"|"notebook")`` → :class:`NotebookPage`.

    Writes the notebook into the server root, opens it in a new page of ``context``
    (JupyterLab at ``/lab/tree/NAME`` or Notebook 7 at ``/notebooks/NAME``) and waits
    until its kernel is idle. No cell is run.
    """

    def _open(context, name: str, cells: list[str], ui: str = "lab") -> NotebookPage:
        jupyter_server.write_notebook(name, cells)
        page = context.new_page()
        nb = NotebookPage(page, name, jupyter_server)
        page.on("pageerror", lambda err: nb.errors.append(str(err)))
        prefix = {"lab": "/lab/tree/", "notebook": "/notebooks/"}[ui]
        # ?reset: open only this notebook, not the tabs another test left in the shared workspace.
        page.goto(jupyter_server.url + prefix + name + ("?reset" if ui == "lab" else ""))
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        jupyter_server.wait_kernel_idle(name)
        return nb

    return _open
