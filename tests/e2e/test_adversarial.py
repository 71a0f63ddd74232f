"""\"Make it say X\" in a real JupyterLab and Chromium (issue 18).

The page asks for a class; the kernel's PGD result must come back and show: the perturbed
picture, the perturbation with its amplification stated, the steps and the new top-5.
Writes (with CNNWIDGET_REFRESH_DOCS=1) docs/img/adversarial.png (the pair, as the page showed it).
"""

from __future__ import annotations


import pytest
from playwright.sync_api import expect

from tests.docs_pictures import picture_path

from .explorer_page import shown_explorer
from .maximize_helpers import JOB_MS

pytestmark = pytest.mark.e2e


CELLS = [
    "import cnnwidget\n"
    'ex = cnnwidget.CNNExplorer(cnnwidget.load_model("default"), image=cnnwidget.samples()["chelsea"], layer="stage2")\n'
    "ex.auto_maximize = False\n"
    "ex",  # 0
    "s = ex.adversarial_state\n"
    'print("ADV", s["status"], s["target"], s["reached"], s["step"], s["predictions"][0][0], '
    'float(ex.adversarial_result.perturbation.abs().max()) * 255 <= 8 + 1e-3)',  # 1
]


def test_the_page_makes_the_picture_say_the_chosen_class(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "adversarial.ipynb", CELLS) as nb:
        page = nb.page
        page.locator("summary", has_text="Make it say").click()
        choice = page.get_by_test_id("adversarial-class")
        expect(choice.locator("option")).to_have_count(12)
        choice.select_option("11")  # dots
        page.get_by_test_id("adversarial-eps").fill("8")
        page.get_by_test_id("adversarial-start").click()
        steps = page.get_by_test_id("adversarial-steps")
        expect(steps).to_have_attribute("data-status", "done", timeout=JOB_MS)
        expect(steps).to_have_attribute("data-reached", "true")
        taken = int(steps.get_attribute("data-steps"))
        assert 1 <= taken <= 40
        expect(steps).to_contain_text(f"reached dots in {taken} steps within 8/255")
        gain = float(page.get_by_test_id("adversarial-perturbation").get_attribute("data-gain"))
        assert f"shown ×{gain:.1f} around grey" in steps.inner_text()
        first = page.get_by_test_id("adversarial-prediction").first
        expect(first).to_have_attribute("data-class", "11")
        for img in ("adversarial-image", "adversarial-perturbation"):
            size = page.get_by_test_id(img).evaluate("i => [i.naturalWidth, i.naturalHeight]")
            assert size == [128, 128], (img, size)
        assert f"ADV done 11 True {taken} 11 True" in nb.run_and_read(1)
        page.locator(".cnnx-adversarial").screenshot(path=str(picture_path("adversarial.png")))
