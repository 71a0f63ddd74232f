"""Frame rate and latency figures of a live stream, over a sliding window."""

from __future__ import annotations

import statistics
import time
from collections import deque


FPS_FRAMES = 30
STALE_S = 2.0


class LiveStats:
    """Counts frames and keeps the last ``window`` timings.

    :meth:`snapshot` gives ``{frames, fps, kernel_ms_p50, work_ms_p50, queue_ms_p50, latency_ms_p50}``:
    frames processed since the start, frames per second over the last
    :data:`FPS_FRAMES` frames (0 once no frame came for :data:`STALE_S`
    seconds), the kernel's time per frame until its answer was sent, its whole
    time per frame (with what follows the answer: class scores, top crops), the time a frame waited in
    the kernel before its processing began (behind the frame before it), and the
    browser's camera-to-screen latency as it reports it with each frame.
    """

    def __init__(self, window: int = 120) -> None:
        self.frames = 0
        self._times: deque[float] = deque(maxlen=window)
        self._kernel_ms: deque[float] = deque(maxlen=window)
        self._latency_ms: deque[float] = deque(maxlen=window)
        self._queue_ms: deque[float] = deque(maxlen=window)
        self._work_ms: deque[float] = deque(maxlen=window)

    def record(self, kernel_ms: float, browser_latency_ms: float | None = None, queue_ms: float | None = None,
               work_ms: float | None = None) -> None:
        """Note one processed frame."""
        self.frames += 1
        self._times.append(time.monotonic())
        self._kernel_ms.append(kernel_ms)
        self._work_ms.append(kernel_ms if work_ms is None else work_ms)
        if queue_ms is not None:
            self._queue_ms.append(queue_ms)
        if browser_latency_ms is not None and browser_latency_ms >= 0:
            self._latency_ms.append(browser_latency_ms)

    def snapshot(self) -> dict:
        """The current figures (see the class docstring)."""
        recent = list(self._times)[-FPS_FRAMES:]
        fps = 0.0
        if len(recent) >= 2 and time.monotonic() - recent[-1] <= STALE_S:
            fps = (len(recent) - 1) / max(recent[-1] - recent[0], 1e-6)
        return {
            "frames": self.frames,
            "fps": round(fps, 2),
            "kernel_ms_p50": round(statistics.median(self._kernel_ms), 2) if self._kernel_ms else None,
            "work_ms_p50": round(statistics.median(self._work_ms), 2) if self._work_ms else None,
            "queue_ms_p50": round(statistics.median(self._queue_ms), 2) if self._queue_ms else None,
            "latency_ms_p50": round(statistics.median(self._latency_ms), 2) if self._latency_ms else None,
        }
