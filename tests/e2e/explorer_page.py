"""The page side every browser test shares: a notebook showing a CNNExplorer, and its grid's units."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

WIDGET_MS = 240_000
"""First import of torch, a model and the first grid, on two busy cores."""


def units(page):
    """The activation grid's unit elements (one per channel, in display order)."""
    return page.get_by_test_id("activation-grid").get_by_test_id("unit")


def unit(page, channel: int):
    """The grid's unit element of ``channel``."""
    return page.locator(f"[data-testid=activation-grid] [data-testid=unit][data-channel='{channel}']")


@contextmanager
def shown_explorer(browser, open_notebook, name: str, cells: list[str], *, permissions=()) -> Iterator:
    """Open notebook ``name`` in a fresh browser context, run its first cell (which shows the
    explorer) and wait for the grid; yields the :class:`NotebookPage`. On the way out, no
    uncaught error may have reached the page, and the context is closed."""
    context = browser.new_context(permissions=list(permissions), viewport={"width": 1400, "height": 1000})
    try:
        nb = open_notebook(context, name, cells)
        nb.run_cell(0, timeout_s=WIDGET_MS / 1000)
        units(nb.page).first.wait_for(timeout=WIDGET_MS)
        yield nb
        assert not nb.widget_errors, f"uncaught errors in the page: {nb.widget_errors}"
    finally:
        context.close()
