"""Click-to-maximize in Notebook 7 (/notebooks/NAME.ipynb), the same check as in JupyterLab:
a click streams at least three pictures, ends done, and the browser shows exactly ex.maximized."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .explorer_page import WIDGET_MS, unit, units
from .maximize_helpers import (
    JOB_MS, KERNEL_SETUP, PICTURE_SHA_JS, PRINT_MAXIMIZED, WATCH_JS,
    parse_maximized, seen, streamed,
)

pytestmark = pytest.mark.e2e

LAYER = "layer2"
FAST = {"steps": 32, "size": 64}


def test_click_to_maximize_in_notebook7(browser, open_notebook):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        nb = open_notebook(context, "maximize_nb7.ipynb", [KERNEL_SETUP.format(layer=LAYER, options=FAST), PRINT_MAXIMIZED],
                           ui="notebook")
        page = nb.page
        assert "/notebooks/maximize_nb7.ipynb" in page.url
        nb.run_cell(0, timeout_s=WIDGET_MS / 1000)
        units(page).first.wait_for(timeout=WIDGET_MS)
        picture = page.get_by_test_id("maximize-image")
        picture.evaluate(WATCH_JS)
        unit(page, 6).click()
        expect(picture).to_have_attribute("data-unit", f"{LAYER}:6", timeout=JOB_MS)
        expect(picture).to_have_attribute("data-status", "done", timeout=JOB_MS)
        updates = streamed(seen(page), f"{LAYER}:6")
        assert len({u["step"] for u in updates}) >= 3, f"expected ≥3 streamed steps, saw {updates}"
        assert len({u["src"] for u in updates}) >= 3
        shown = picture.evaluate(PICTURE_SHA_JS)
        kernel = parse_maximized(nb.run_and_read(1))
        assert kernel["unit"] == f"{LAYER}:6" and kernel["status"] == "done"
        assert shown["size"] == kernel["size"] and shown["sha"] == kernel["sha"], (shown, kernel)
        expect(page.get_by_test_id("error")).to_be_hidden()
        assert not nb.widget_errors, nb.widget_errors
    finally:
        context.close()
