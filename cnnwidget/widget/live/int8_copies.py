"""The explorer's int8 copies of its model's front, built once per (layer, logits), mostly in the background.

Live maps ask :meth:`Int8Copies.get` for each frame, on the live thread. The first ask traces a
deep copy of the model right there, between frames (FX tracing swaps ``torch.nn.Module.__call__``
for the whole process while it runs, so no other forward pass of the live thread may overlap it;
~0.3–1 s once), then calibrates, converts and checks the copy on a thread of its own (one torch
thread, a few seconds on two busy cores, see ``engine/int8_front.py``) and returns ``None``
meanwhile, so frames go on in floating point until the copy is ready. A model that cannot be
quantized is remembered with the reason and never tried again for that layer. A copy is dropped
when the model's parameters change in place (an optimizer step bumps their version counters),
so it never shows a stale network. The build thread is not a daemon: a build still running when
Python exits is let finish (seconds) rather than killed inside torch's C++ code.
"""

from __future__ import annotations

import threading
from typing import Callable, Sequence

import torch

from ...engine.int8_front import Int8Front, Int8Unavailable, finish_int8_front, prepare_int8_front


class Int8Copies:
    """int8 copies of ``model`` per (layer, logits), built in the background.

    Args:
        model: the user's network (only read: each copy is made from a deep copy of it).
        calibration: called once, on the build thread, for the calibration pictures
            (normalized ``(1, 3, H, W)`` tensors; the widget gives the bundled sample photos).
    """

    def __init__(self, model: torch.nn.Module, calibration: Callable[[], Sequence[torch.Tensor]]) -> None:
        self.model = model
        self._calibration = calibration
        self._pictures: Sequence[torch.Tensor] | None = None
        self._lock = threading.Lock()
        self._copies: dict[tuple, Int8Front | str] = {}  # key -> copy, "building" or the reason it failed
        self._threads: list[threading.Thread] = []

    def _version(self) -> int:
        return sum(p._version for p in self.model.parameters())

    def get(self, layer: str, logits: bool) -> tuple[Int8Front | None, str]:
        """The ready copy (or ``None``) and its state: ``"ready"``, ``"building"`` or ``"unavailable: why"``."""
        key = (layer, logits, self._version())
        with self._lock:
            found = self._copies.get(key)
            if found is None:
                self._copies = {k: v for k, v in self._copies.items() if k[2] == key[2]}  # the model changed: drop
                try:
                    if self._pictures is None:
                        self._pictures = list(self._calibration())
                    prepared = prepare_int8_front(self.model, layer, self._pictures[-1], logits=logits)
                except Exception as err:  # Int8Unavailable, or a calibration picture that failed
                    self._copies[key] = str(err) if isinstance(err, Int8Unavailable) else f"{type(err).__name__}: {err}"[:300]
                    return None, f"unavailable: {self._copies[key]}"
                self._copies[key] = "building"
                thread = threading.Thread(target=self._finish, args=(key, prepared), name="cnnwidget-int8",
                                          daemon=False)  # not inherited from the daemon live thread
                self._threads.append(thread)
                thread.start()
                return None, "building"
        if isinstance(found, Int8Front):
            return found, "ready"
        return None, found if found == "building" else f"unavailable: {found}"

    def refuse(self, layer: str, logits: bool, err: BaseException) -> str:
        """Mark the copy for (layer, logits) unusable after it failed on a frame; returns the reason."""
        reason = f"it failed on a frame ({type(err).__name__}: {err})"[:300]
        with self._lock:
            self._copies[(layer, logits, self._version())] = reason
        return reason

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait for the builds started so far; True when none is still running."""
        for thread in list(self._threads):
            thread.join(timeout)
        return not any(t.is_alive() for t in self._threads)

    def _finish(self, key: tuple, prepared) -> None:
        torch.set_num_threads(1)  # this thread only: the live thread and the browser keep theirs
        try:
            built: Int8Front | str = finish_int8_front(prepared, self._pictures[:-1])
        except Int8Unavailable as err:
            built = str(err)
        except Exception as err:  # never fatal: live maps stay in floating point
            built = f"{type(err).__name__}: {err}"[:300]
        with self._lock:
            if key in self._copies:
                self._copies[key] = built
