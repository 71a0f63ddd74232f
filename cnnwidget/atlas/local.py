"""Run an atlas's tasks on this machine: a pool of worker processes, or in this process.

:class:`ProcessExecutor` starts ``workers`` processes (all cores by default), each
building the model once from its spec and using ``threads`` torch threads (by
default the cores shared out, at least one), so small convolutions, which do not
scale over many threads, still keep every core busy.
:class:`InProcessExecutor` runs the tasks one after the other with the model
object it was given (the only choice for an ``nn.Module`` that cannot be
rebuilt elsewhere).

Both yield ``(task, results)`` as tasks finish, in completion order.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from typing import Iterator, Sequence

import torch
from torch import nn

from .plan import Task
from .settings import AtlasSettings
from .source import ModelSource
from .work import UnitResult, run_task


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class InProcessExecutor:
    """Run tasks one by one in this process, with ``model`` itself.

    Args:
        model: the network.
        settings: steps, size, seed, param.
        threads: torch threads while running (``None``: leave torch's setting).
    """

    kind = "in-process"

    def __init__(self, model: nn.Module, settings: AtlasSettings, threads: int | None = None) -> None:
        self.model, self.settings, self.threads = model, settings, threads

    def describe(self) -> dict:
        return {"executor": self.kind, "workers": 1, "threads": self.threads or torch.get_num_threads()}

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, list[UnitResult]]]:
        before = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            for task in tasks:
                yield task, run_task(self.model, task, self.settings)
        finally:
            torch.set_num_threads(before)

    def close(self) -> None:
        pass


class ProcessExecutor:
    """Run tasks on a pool of ``workers`` processes, each rebuilding the model from ``source``.

    Args:
        source: a rebuildable :class:`~cnnwidget.atlas.source.ModelSource`.
        settings: steps, size, seed, param.
        workers: processes (default: one per core).
        threads: torch threads per process (default: cores // workers, at least 1).
    """

    kind = "local"

    def __init__(self, source: ModelSource, settings: AtlasSettings, workers: int | None = None,
                 threads: int | None = None) -> None:
        if not source.rebuildable:
            raise ValueError("a process pool needs a model spec; run an nn.Module with InProcessExecutor")
        cores = available_cores()
        self.source, self.settings = source, settings
        self.workers = max(1, int(workers or cores))
        self.threads = max(1, int(threads or cores // self.workers))
        self._pool: cf.ProcessPoolExecutor | None = None

    def describe(self) -> dict:
        return {"executor": self.kind, "workers": self.workers, "threads": self.threads}

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, list[UnitResult]]]:
        if not tasks:
            return
        self._pool = cf.ProcessPoolExecutor(
            max_workers=min(self.workers, len(tasks)),
            mp_context=multiprocessing.get_context("spawn"),  # fork after torch threads start can hang
            initializer=_init_worker,
            initargs=(self.source, self.threads),
        )
        futures = {self._pool.submit(_work, task, self.settings): task for task in tasks}
        finished = False
        try:
            for future in cf.as_completed(futures):
                yield futures[future], future.result()
            finished = True
        finally:
            self._shutdown(finished)

    def close(self) -> None:
        self._shutdown(False)

    def _shutdown(self, finished: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if finished:
            pool.shutdown(wait=True)
            return
        # Interrupted or failed: drop queued tasks and stop the running ones now.
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)


_WORKER: dict = {}


def _init_worker(source: ModelSource, threads: int) -> None:
    torch.set_num_threads(threads)
    _WORKER["model"] = source.build()


def _work(task: Task, settings: AtlasSettings) -> list[UnitResult]:
    return run_task(_WORKER["model"], task, settings)


__all__ = ["InProcessExecutor", "ProcessExecutor", "available_cores"]
