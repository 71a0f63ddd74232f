"""Each panel option is declared once (cnnwidget/widget/options.py); the kernel and the browser agree.

The browser draws its controls from the explorer's ``option_specs`` trait, clamping every value
to the declared range (js/optionForm.ts, tested in js/test/optionForm.test.ts). Here: what the
browser is sent is what the kernel checks, every value a control can produce is accepted, and
just outside the range is refused with a message naming the range.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnnwidget import CNNExplorer
from cnnwidget.widget.adversarial import ADVERSARIAL_OPTIONS
from cnnwidget.widget.dream import DREAM_OPTIONS
from cnnwidget.widget.live.feature import LIVE_OPTIONS
from cnnwidget.widget.maximize.request import MAXIMIZE_OPTIONS

SETS = {"maximize": MAXIMIZE_OPTIONS, "dream": DREAM_OPTIONS, "live": LIVE_OPTIONS, "adversarial": ADVERSARIAL_OPTIONS}
TRAITS = {"maximize": "maximize_options", "dream": "dream_options", "live": "live_options",
          "adversarial": "adversarial_options"}
JS = Path(__file__).resolve().parents[2] / "js"


def sent_to_browser() -> dict:
    return CNNExplorer.class_traits()["option_specs"].default()


def test_the_browser_is_sent_every_declaration():
    sent = sent_to_browser()
    assert set(sent) == set(SETS)
    for name, options in SETS.items():
        assert sent[name] == options.describe()
        assert CNNExplorer.class_traits()[TRAITS[name]].default() == options.defaults()


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_value_a_control_offers_is_accepted_and_just_outside_is_refused(name):
    options = SETS[name]
    for spec in sent_to_browser()[name]:
        key = spec["key"]
        if spec["kind"] == "choice":
            for value in spec["choices"]:
                assert options.check({key: value})[key] == value
            with pytest.raises(ValueError, match=f"{key} must be"):
                options.check({key: "no-such-choice"})
        elif spec["kind"] in ("int", "float"):
            for value in (spec["min"], spec["max"], spec["default"]):
                assert options.check({key: value})[key] == value
            declared = options[key]
            low = declared.low - (0 if declared.low_open else (1 if spec["kind"] == "int" else 1e-9))
            high = declared.high + (0 if declared.high_open else (1 if spec["kind"] == "int" else 1e-9))
            for value in (low, high):
                with pytest.raises(ValueError, match=f"{key} must be a (whole )?number"):
                    options.check({key: value})


def test_no_panel_writes_a_range_of_its_own():
    for panel in ("maximizeOptions.ts", "dreamPanel.ts", "liveOptions.ts", "adversarialPanel.ts"):
        text = (JS / panel).read_text()
        assert not re.search(r"\[\s*-?[\d.]+\s*,\s*-?[\d.]+\s*,\s*-?[\d.]+\s*,\s*\"", text), panel
        assert "OptionForm" in text, panel
