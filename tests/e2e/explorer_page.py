"""The page side every browser test shares: a notebook showing a CNNExplorer, and its grid's units."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from playwright.sync_api import expect

WIDGET_MS = 240_000
"""First import of torch, a model and the first grid, on two busy cores."""


def units(page):
    """The activation grid's unit elements (one per channel, in display order)."""
    return page.get_by_test_id("activation-grid").get_by_test_id("unit")


def unit(page, channel: int):
    """The grid's unit element of ``channel``."""
    return page.locator(f"[data-testid=activation-grid] [data-testid=unit][data-channel='{channel}']")


def open_section(page, name: str) -> None:
    """Unfold the explorer's folded section ``name`` (``options``, ``dream``) unless it is open."""
    section = page.get_by_test_id(f"section-{name}")
    if section.get_attribute("open") is None:
        page.get_by_test_id(f"section-{name}-toggle").click()
    expect(section).to_have_attribute("open", "")


@contextmanager
def shown_explorer(browser, open_notebook, name: str, cells: list[str], *, permissions=(),
                   viewport=(1400, 1000), init_script: str | None = None) -> Iterator:
    """Open notebook ``name`` in a fresh browser context, run its first cell (which shows the
    explorer) and wait for the grid; yields the :class:`NotebookPage`. On the way out, no
    uncaught error may have reached the page, and the context is closed."""
    context = browser.new_context(permissions=list(permissions), viewport={"width": viewport[0], "height": viewport[1]})
    try:
        if init_script:
            context.add_init_script(init_script)  # runs in every page before its own scripts
        nb = open_notebook(context, name, cells)
        nb.run_cell(0, timeout_s=WIDGET_MS / 1000)
        units(nb.page).first.wait_for(timeout=WIDGET_MS)
        yield nb
        assert not nb.widget_errors, f"uncaught errors in the page: {nb.widget_errors}"
    finally:
        context.close()
