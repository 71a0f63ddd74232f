"""A forward function that reports progress and can be stopped between calls.

Library routines such as Captum's attribution methods and attacks loop over
forward passes without callbacks. Wrapping the function they call gives each
of those loops progress and cancellation: every call first checks the
``cancel`` event (raising :class:`Cancelled` out of the library's loop) and
then reports how many calls are done.
"""

from __future__ import annotations

import threading
from typing import Callable

import torch


class Cancelled(Exception):
    """The operation was cancelled through its ``cancel`` event; the model is already restored."""


class CancellableForward:
    """``fn`` wrapped so that each call checks ``cancel`` and reports progress.

    Args:
        fn: the forward function, ``fn(x) -> Tensor``.
        cancel: a ``threading.Event``; once set, the next call raises :class:`Cancelled`.
        callback: ``callback(done, total)`` after each call (``done`` capped at ``total``).
        total: the expected number of calls, for the callback.
    """

    def __init__(
        self,
        fn: Callable[..., torch.Tensor],
        *,
        cancel: threading.Event | None = None,
        callback: Callable[[int, int], None] | None = None,
        total: int = 1,
    ) -> None:
        self.fn = fn
        self.cancel = cancel
        self.callback = callback
        self.total = max(1, int(total))
        self.calls = 0

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was asked for."""
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("cancelled")

    def __call__(self, *args, **kwargs) -> torch.Tensor:
        self.check()
        out = self.fn(*args, **kwargs)
        self.calls += 1
        if self.callback is not None:
            self.callback(min(self.calls, self.total), self.total)
        return out

    def finish(self) -> None:
        """Report completion (``callback(total, total)``), however many calls there were."""
        if self.callback is not None:
            self.callback(self.total, self.total)
