"""The README's demo command, run as a newcomer runs it, and looked at in Chromium.

The test reads the demo command from the README's set-up block, starts it on a free port, opens
exactly the URL it prints, runs every cell of the notebook that opens, and checks what a person
would: the notebook is there (no "Cannot open" dialog, no toast over it), the activation grid shows
every channel of the layer the kernel reports, a click on a unit ends with a finished maximization,
and the command's whole output is free of tracebacks and errors. It stops the server it started.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import REPO
from .demo_process import DemoProcess, free_port, newcomer_env, readme_demo_command, run_all_cells
from .explorer_page import WIDGET_MS, unit, units

pytestmark = pytest.mark.e2e

URL_S = 600  # install.sh skips what the locks say is installed; a fresh venv takes minutes
NOTEBOOK_MS = 120_000
CELLS_S = 600  # the quickstart maximizes a unit before it prints the layer's shape
MAXIMIZE_MS = 300_000  # the widget's default options on two cores shared with Chromium
BAD_LINE = re.compile(r"Traceback|Error")


def _channels_reported_by_kernel(page, shots) -> int:
    """The layer's channel count from the notebook's own ``acts.shape`` output."""
    pattern = re.compile(r"\(\((\d+), \d+, \d+\), [-\d.e]+\)")  # ((C, H, W), max)
    outputs = page.locator(".jp-OutputArea-output")
    deadline = time.monotonic() + CELLS_S
    texts: list[str] = []
    while time.monotonic() < deadline:
        texts = outputs.all_inner_texts()
        for text in texts:
            found = pattern.search(text)
            if found:
                return int(found.group(1))
        page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "cells.png"), full_page=True)
    raise AssertionError(f"the notebook never showed the activations' shape; its outputs: {texts}")


@pytest.mark.timeout(1800)
def test_readme_demo_command_opens_the_explorer(browser, tmp_path):
    command = readme_demo_command(REPO)
    assert command == "bash scripts/demo.sh"
    port = free_port()
    env = newcomer_env(tmp_path / "jupyter", port)
    # One setting differs from a newcomer's: no autosave, so the run leaves examples/ as committed.
    no_autosave = Path(env["JUPYTER_CONFIG_DIR"]) / "lab/user-settings/@jupyterlab/docmanager-extension/plugin.jupyterlab-settings"
    no_autosave.parent.mkdir(parents=True)
    no_autosave.write_text(json.dumps({"autosave": False}))
    demo = DemoProcess(command, REPO, env)
    try:
        url = demo.wait_for_url(URL_S)
        assert url.startswith(f"http://127.0.0.1:{port}/lab/tree/quickstart.ipynb?token=")
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(url)  # exactly the printed URL

        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=NOTEBOOK_MS)
        expect(page.get_by_role("tab", name=re.compile(r"quickstart\.ipynb"))).to_be_visible()
        page.wait_for_timeout(3000)  # dialogs and toasts come a moment after the page
        dialogs = page.locator(".jp-Dialog")
        assert dialogs.count() == 0, f"a dialog is in the way: {dialogs.all_inner_texts()}"
        assert "Cannot open" not in page.locator("body").inner_text()
        toasts = page.locator(".jp-toast-message, .Toastify__toast")
        assert toasts.count() == 0, f"a toast is in the way: {toasts.all_inner_texts()}"

        run_all_cells(page)
        channels = _channels_reported_by_kernel(page, tmp_path)
        units(page).first.wait_for(timeout=WIDGET_MS)
        expect(units(page)).to_have_count(channels)
        errors_shown = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
                                    ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
        assert errors_shown.count() == 0, errors_shown.all_inner_texts()

        target = 1 if channels > 1 else 0
        picture = page.get_by_test_id("maximize-image")
        unit(page, target).scroll_into_view_if_needed()
        unit(page, target).click()
        expect(unit(page, target)).to_have_attribute("data-selected", "true")
        expect(picture).to_have_attribute("data-unit", re.compile(rf":{target}$"), timeout=MAXIMIZE_MS)
        expect(picture).to_have_attribute("data-status", "done", timeout=MAXIMIZE_MS)
        assert picture.evaluate("img => img.complete && img.naturalWidth > 0"), "no finished picture shown"
        assert not errors, f"uncaught errors in the page: {errors}"
        context.close()
    finally:
        demo.stop()
    assert demo.process.poll() is not None, "the demo server is still running"
    bad = [line for line in demo.lines if BAD_LINE.search(line)]
    assert not bad, "the demo printed errors:\n" + "\n".join(bad)
    assert demo.lines[0].startswith("cnnwidget"), demo.output
