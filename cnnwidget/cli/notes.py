"""How the command line shows the choices made to fit pictures to a model (``InputNote`` warnings)."""

from __future__ import annotations

import sys
import warnings
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def input_notes_shown() -> Iterator[None]:
    """Print every :class:`~cnnwidget.engine.model_input.InputNote` as ``note: <what was adapted>`` on stderr
    (once each, without the warning's source line); other warnings are shown as Python shows them."""
    from ..engine.model_input import InputNote

    seen: set[str] = set()
    with warnings.catch_warnings():
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, InputNote):
                text = str(message)
                if text not in seen:
                    seen.add(text)
                    print(f"note: {text}", file=sys.stderr)
                return
            shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        warnings.simplefilter("always", InputNote)
        yield
