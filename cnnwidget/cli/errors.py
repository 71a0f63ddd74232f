"""The one translation of errors into the command line's answer: a line naming the fix, or a traceback."""

from __future__ import annotations

import sys
from typing import Callable

EXIT_OK = 0
EXIT_USAGE = 2
"""Exit status of a user error (as argparse's own usage errors)."""
EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT), as shells report it."""


class CLIError(Exception):
    """A user error reported as ``error: <message>`` with exit status 2."""


def user_errors() -> tuple[type[BaseException], ...]:
    """The exceptions every command reports as one line: the user can fix them (a name, a file, a range)."""
    from ..atlas.store import AtlasError
    from ..dataset_examples.sources import ExamplesError
    from ..engine.images import ImageError
    from ..engine.layer_catalog import LayerError
    from ..engine.objectives import ObjectiveError
    from ..models import ModelSpecError, WeightsUnavailableError

    return (CLIError, AtlasError, ExamplesError, ImageError, LayerError, ObjectiveError, ModelSpecError,
            WeightsUnavailableError, FileNotFoundError)


def message(err: BaseException) -> str:
    """The error's text (a ``KeyError``'s message without the quotes its ``str`` adds)."""
    return str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)


def run_reporting_errors(
    command: Callable[[], None],
    *,
    also_user_errors: tuple[type[BaseException], ...] = (),
    interrupted: str = "interrupted",
) -> int:
    """Run ``command``; return the exit status.

    User errors (:func:`user_errors` and ``also_user_errors``) print ``error: <message>``
    on stderr and give 2; Ctrl-C prints ``interrupted`` and gives 130; any other
    exception is a bug and propagates with its traceback.
    """
    try:
        command()
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 - user errors become one line; others re-raise
        if not isinstance(err, user_errors() + also_user_errors):
            raise
        print(f"error: {message(err)}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
