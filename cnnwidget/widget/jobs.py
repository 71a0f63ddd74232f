"""One background job at a time, newest wins.

Long work (a maximization, a DeepDream) runs in a daemon thread so the kernel's
shell thread stays free to execute cells. Submitting a new job cancels the
running one, which ends within one optimization step; the new job starts as
soon as the old thread is gone, so no two jobs compete for the CPU and no
worker is left over.

A :class:`JobGroup` holds one such runner per lane of work (maximization and
DeepDream; attribution; adversarial attack) and cancels or closes them all at once.
"""

from __future__ import annotations

import atexit
import itertools
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Callable

_ids = itertools.count(1)
_RUNNERS: "weakref.WeakSet[JobRunner]" = weakref.WeakSet()


@atexit.register
def _stop_all_runners() -> None:
    # A worker still inside torch when the interpreter exits aborts the process.
    for runner in list(_RUNNERS):
        runner.close(timeout=2.0)


@dataclass
class Job:
    """A unit of background work.

    Attributes:
        id: increasing number, unique in the process.
        kind: what it does (``"maximize"``, ``"dream"``, ``"attribution"``, ``"adversarial"``).
        cancel: set to ask the job to stop; the job checks it every step.
        thread: the worker thread running it.
        finished: set by the worker thread as its very last action.
    """

    kind: str
    id: int = field(default_factory=lambda: next(_ids))
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        """Whether the worker thread is still at work.

        Read from ``finished``, not ``thread.is_alive()``: on Python < 3.13 a
        ``thread.join()`` interrupted by Ctrl-C (a kernel interrupt) marks the
        thread as stopped while it still runs.
        """
        return self.thread is not None and not self.finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job has finished (or ``timeout`` s); True when it has.

        Waits in short slices, so a kernel interrupt (Ctrl-C) stops the wait at once
        even when the signal lands on another thread (a plain ``thread.join()`` can
        then block until the job ends).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
            if self.finished.wait(max(left, 0.0)):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False


class JobRunner:
    """Runs at most one :class:`Job` at a time; a new submission cancels the old one.

    Args:
        on_error: called as ``on_error(job, exception)`` when a job raises.
    """

    THREAD_PREFIX = "cnnwidget-job"

    def __init__(self, on_error: Callable[[Job, BaseException], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._current: Job | None = None
        self._on_error = on_error
        self._closed = False
        _RUNNERS.add(self)

    @property
    def current(self) -> Job | None:
        """The most recently submitted job (running or finished)."""
        return self._current

    def submit(self, kind: str, work: Callable[[Job], None]) -> Job:
        """Cancel the running job and start ``work(job)`` in a new worker thread."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this widget was closed; create a new one to run more jobs")
            previous = self._current
            job = Job(kind)
            if previous is not None:
                previous.cancel.set()
            job.thread = threading.Thread(
                target=self._run, args=(job, previous, work), name=f"{self.THREAD_PREFIX}-{job.id}", daemon=True
            )
            self._current = job
            job.thread.start()
            return job

    def cancel(self) -> Job | None:
        """Ask the running job to stop; returns it (or ``None`` when idle)."""
        job = self._current
        if job is not None and job.running:
            job.cancel.set()
            return job
        return None

    def close(self, timeout: float = 1.0) -> bool:
        """Cancel everything and wait up to ``timeout`` s; True when no worker is left."""
        with self._lock:
            self._closed = True
            job = self._current
        if job is None:
            return True
        job.cancel.set()
        if job.thread is not None:
            job.wait(timeout)
        return not job.running

    def _run(self, job: Job, previous: Job | None, work: Callable[[Job], None]) -> None:
        try:
            if previous is not None and previous.thread is not None:
                previous.wait()
            if job.cancel.is_set():
                return
            work(job)
        except BaseException as err:  # report, never kill the kernel
            if self._on_error is not None:
                self._on_error(job, err)
        finally:
            job.finished.set()


class JobGroup:
    """The explorer's job runners, one per lane of work, cancelled and closed together.

    Maximizations and DeepDreams share one lane (a new one cancels the old); an
    attribution and an adversarial attack each run in a lane of their own, so a
    click that starts a maximization and an attribution at once does not cancel
    either. :meth:`cancel` and :meth:`close` reach every lane: that is the one
    cancel path of ``ex.cancel()``, the browser's cancel buttons and closing the widget.
    """

    def __init__(self) -> None:
        self._runners: list[JobRunner] = []

    def runner(self, on_error: Callable[[Job, BaseException], None] | None = None) -> JobRunner:
        """A new lane (a :class:`JobRunner`) in this group."""
        runner = JobRunner(on_error=on_error)
        self._runners.append(runner)
        return runner

    def running(self, kind: str | None = None) -> list[Job]:
        """The jobs at work now (of ``kind`` only, when given)."""
        jobs = [r.current for r in self._runners]
        return [j for j in jobs if j is not None and j.running and (kind is None or j.kind == kind)]

    def cancel(self, kind: str | None = None) -> list[Job]:
        """Ask every running job (of ``kind`` only, when given) to stop; returns them.

        Each ends within one step of its own (an optimization step, a forward pass).
        """
        jobs = self.running(kind)
        for job in jobs:
            job.cancel.set()
        return jobs

    def close(self, timeout: float = 1.0) -> bool:
        """Cancel every lane and wait up to ``timeout`` s in all; True when no worker is left."""
        deadline = time.monotonic() + timeout
        for runner in self._runners:  # every lane is told before any is waited for
            runner.close(timeout=0.0)
        return all([r.close(max(0.0, deadline - time.monotonic())) for r in self._runners])
