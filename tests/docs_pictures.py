"""Where browser tests put the README's pictures: a temporary folder, unless asked to refresh them.

A test run must leave the repository as it found it, so screenshots go to a
temporary folder by default. To refresh the tracked pictures in ``docs/img/``,
run the screenshot tests with ``CNNWIDGET_REFRESH_DOCS=1`` (see README, "Tests").
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS_IMG = REPO / "docs" / "img"
REFRESH_VARIABLE = "CNNWIDGET_REFRESH_DOCS"

_scratch: Path | None = None


def refreshing_docs() -> bool:
    """True when this run was asked to rewrite ``docs/img/`` (``CNNWIDGET_REFRESH_DOCS=1``)."""
    return os.environ.get(REFRESH_VARIABLE, "") == "1"


def picture_folder() -> Path:
    """``docs/img/`` when refreshing the docs, else one temporary folder for this test process."""
    global _scratch
    if refreshing_docs():
        folder = DOCS_IMG
    else:
        if _scratch is None:
            _scratch = Path(tempfile.mkdtemp(prefix="cnnwidget-docs-img-"))
        folder = _scratch
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def picture_path(name: str) -> Path:
    """Where to write the README picture ``name`` (e.g. ``"explorer.png"``) in this run."""
    return picture_folder() / name
