"""The thread that handles live frames, in order, with its own number of torch threads.

Why a thread of its own:

* The kernel thread that receives a frame (the shell thread, or a subshell's) only queues
  it, so the kernel answers other messages at once.
* Its torch thread count is set once, for this thread only (OpenMP's thread count is
  per thread; MKL's is set thread-locally). When the browser shares a small machine with
  the kernel, two OpenMP threads wait on each other whenever the browser takes a core: on
  two cores with the other one busy, a resnet18 frame took 116 ms with two threads and
  15 ms with one (``benchmarks/bench_live.py`` notes).
* Frames, stops and freezes run one after another, so the live state (top crops, the
  previous dream, the statistics) is only ever touched by this thread.

A frame that has not started when a newer one arrives is dropped (newest wins) and gets no
answer. Frames run in the order they came, so answers go out in increasing frame ids: the
browser, which keeps a few frames in flight (``js/framePump.ts``), takes an answer to frame k
as the end of every older frame still in flight. The kernel's message handler waits for each
frame's answer (up to 1 s, ``feature.py``; ``HOLD_IDLE`` there measures the alternative), so
normally no frame queues here and none is dropped; a slower frame lets the next one queue, and
only then can one be dropped.
The thread ends after ``IDLE_EXIT_S`` without work and starts again with the next call, so
a stopped stream leaves no thread behind.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from concurrent.futures import Future
from typing import Any, Callable

import torch

IDLE_EXIT_S = 30.0
"""The live thread ends after this long without work (a new call starts it again)."""


def default_threads() -> int:
    """Torch threads for live frames: one on machines with up to 4 cores (the browser needs
    the rest when it runs on the same machine), else half the cores, at most 4."""
    cores = os.cpu_count() or 1
    return 1 if cores <= 4 else min(4, cores // 2)


class LiveWorker:
    """A daemon thread running submitted calls in order; ``on_error(exc)`` gets their failures.

    Args:
        on_error: called (on the worker thread) with the exception of a failed call.
        threads: torch threads of the worker (``None``: :func:`default_threads`).
    """

    def __init__(self, on_error: Callable[[BaseException], None], threads: int | None = None,
                 idle_exit_s: float = IDLE_EXIT_S) -> None:
        self._on_error = on_error
        self._idle_exit_s = idle_exit_s
        self._threads = threads or default_threads()
        self._queue: deque[tuple[Callable[[], Any], Future, bool]] = deque()
        self._wake = threading.Condition()
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def threads(self) -> int:
        """Torch threads the worker computes with."""
        return self._threads

    def set_threads(self, threads: int) -> None:
        """Use ``threads`` torch threads from the next call on."""
        self._threads = int(threads)

    def submit(self, fn: Callable[[], Any], *, frame: bool = False) -> Future:
        """Queue ``fn``; with ``frame=True`` it replaces a queued frame that has not started."""
        future: Future = Future()
        with self._wake:
            if self._closed:
                future.cancel()
                return future
            if frame:
                for item in [i for i in self._queue if i[2]]:
                    self._queue.remove(item)
                    item[1].cancel()
            self._queue.append((fn, future, frame))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cnnwidget-live", daemon=True)
                self._thread.start()
            self._wake.notify()
        return future

    def wait_idle(self, timeout: float | None = 30.0) -> bool:
        """Wait until everything queued has run; True unless ``timeout`` s passed first."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._queue and not self._busy, timeout)

    def close(self, timeout: float = 1.0) -> None:
        """Drop what is queued, let the running call finish (up to ``timeout`` s) and end the thread."""
        with self._wake:
            self._closed = True
            for _, future, _ in self._queue:
                future.cancel()
            self._queue.clear()
            self._wake.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        current = 0
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._queue or self._closed, self._idle_exit_s)
                if self._closed or not self._queue:  # closed, or idle for a while: end the thread
                    self._thread = None if not self._closed else self._thread
                    self._wake.notify_all()
                    return
                fn, future, _ = self._queue.popleft()
                self._busy = True
            if current != self._threads:
                torch.set_num_threads(self._threads)  # this thread only (OpenMP ICV, MKL local)
                current = self._threads
            try:
                if future.set_running_or_notify_cancel():
                    future.set_result(fn())
            except BaseException as err:  # reported, never fatal: the stream goes on
                future.set_exception(err)
                try:
                    self._on_error(err)
                except Exception:
                    pass
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()
