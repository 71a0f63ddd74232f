"""The Stop buttons of the attribution and "make it say" panels, in a real JupyterLab and Chromium.

A long Occlusion and a long PGD attack each stop when the page's Stop button is clicked: the
panel then says where it stopped, and the kernel's model is exactly as it was. To know where the
job stands when the click lands, the notebook holds the worker at its second step until the job
is cancelled (an observer of the progress trait; the trait reaches the page before the hold).
The adversarial panel's number controls carry the ranges the kernel declares (ADVERSARIAL_OPTIONS).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .explorer_page import shown_explorer
from .maximize_helpers import JOB_MS

pytestmark = pytest.mark.e2e

CELLS = [
    "import threading\n"
    "import cnnwidget\n"
    "from tests.model_state import assert_same_state, model_state\n"
    'ex = cnnwidget.CNNExplorer(cnnwidget.load_model("default"), image=cnnwidget.samples()["chelsea"], layer="stage2")\n'
    "ex.auto_maximize = False\n"
    "before = model_state(ex.model)\n"
    "def hold_at_2(runner, key):\n"
    "    def observe(change):\n"
    '        if change.new.get("status") == "running" and change.new.get(key) == 2:\n'
    "            runner.current.cancel.wait(120)  # the worker waits here until the page's Stop\n"
    "    return observe\n"
    'ex.observe(hold_at_2(ex._attribution_runner, "done"), "attribution_state")\n'
    'ex.observe(hold_at_2(ex._adversarial_runner, "step"), "adversarial_state")\n'
    "ex",  # 0
    "assert_same_state(before, model_state(ex.model))\n"
    'print("STATE", ex.attribution_state["status"], ex.attribution_state["done"], '
    'ex.adversarial_state["status"], ex.adversarial_state.get("step"), "model unchanged")',  # 1
]


def test_stop_buttons_end_a_long_attribution_and_an_attack(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "cancel_buttons.ipynb", CELLS) as nb:
        page = nb.page
        page.get_by_test_id("attribution").check()
        page.get_by_test_id("attribution-target").select_option("1")  # Grad-CAM of class 1 first
        progress = page.get_by_test_id("attribution-progress")
        expect(page.get_by_test_id("attribution-overlay")).to_have_attribute("data-class", "1", timeout=JOB_MS)
        stop = page.get_by_test_id("attribution-cancel")
        expect(stop).to_be_disabled()
        page.get_by_test_id("attribution-method").select_option("occlusion")
        expect(progress).to_have_attribute("data-done", "2", timeout=JOB_MS)
        expect(progress).to_have_attribute("data-status", "running")
        total = int(progress.get_attribute("data-total"))
        assert total > 3
        stop.click()
        expect(progress).to_have_attribute("data-status", "cancelled", timeout=JOB_MS)
        expect(progress).to_have_text(f"stopped at 2/{total} passes")
        expect(stop).to_be_disabled()

        page.locator("summary", has_text="Make it say").click()
        eps, most = page.get_by_test_id("adversarial-eps"), page.get_by_test_id("adversarial-max-steps")
        assert [eps.get_attribute(a) for a in ("min", "max", "step")] == ["1", "64", "1"]
        assert [most.get_attribute(a) for a in ("min", "max")] == ["1", "500"]
        expect(eps).to_have_value("8")
        expect(most).to_have_value("40")
        page.get_by_test_id("adversarial-class").select_option("11")
        eps.fill("1")  # one grey level and 400 steps: far from done when Stop is clicked
        most.fill("400")
        page.get_by_test_id("adversarial-start").click()
        steps = page.get_by_test_id("adversarial-steps")
        expect(steps).to_have_attribute("data-steps", "2", timeout=JOB_MS)
        page.get_by_test_id("adversarial-cancel").click()
        expect(steps).to_have_attribute("data-status", "cancelled", timeout=JOB_MS)
        expect(steps).to_contain_text("stopped at step 2/400")
        expect(page.get_by_test_id("error")).to_be_hidden()
        assert "STATE cancelled 2 cancelled 2 model unchanged" in nb.run_and_read(1)
