"""Run an atlas's tasks as Ray tasks, on a cluster or on a Ray started on this machine.

Ray is an optional extra (``pip install 'cnnwidget[ray]'``) imported only here,
and only when this executor is used. Each task is one batched maximization;
Ray retries a task whose worker died (``max_retries``), so a lost machine or a
killed worker costs only that task's time. On a cluster with GPUs every task
asks for one GPU and runs there.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from .plan import Task
from .settings import AtlasSettings
from .source import ModelSource
from .store import AtlasError
from .work import UnitResult, run_task

MAX_RETRIES = 3
"""Times Ray reruns a task whose worker process or machine died."""


def import_ray():
    """``import ray``, or an :class:`AtlasError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise AtlasError(
            "the Ray executor needs Ray, an optional extra: pip install 'cnnwidget[ray]' "
            "(or use the local executor, the default)"
        ) from None
    return ray


def connect(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Connect to Ray; returns whether this call started it (and so should shut it down).

    ``address=None`` or ``"auto"`` joins the cluster this machine belongs to and starts
    a local Ray when there is none; any other address (``"HOST:6379"``,
    ``"ray://HOST:10001"``) must answer. An already connected Ray is used as it is.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    quiet = {"include_dashboard": False, "log_to_driver": False}
    if address in (None, "", "auto"):
        try:
            ray.init(address="auto", log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError):
            ray.init(num_cpus=num_cpus, **quiet)
        return True
    try:
        ray.init(address=address, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise AtlasError(f"cannot reach the Ray cluster at {address!r}: {err}; check the address "
                         "(`ray status` on the head node prints it)") from None
    return True


class RayExecutor:
    """Run tasks as Ray tasks.

    Args:
        source: the model: a spec each worker rebuilds (cached per worker process), or a
            module shipped once through Ray's object store.
        settings: steps, size, seed, param.
        address: the cluster (see :func:`connect`).
        max_retries: reruns of a task whose worker died.
        num_cpus: CPUs of a local Ray started here (default: all).
    """

    kind = "ray"

    def __init__(self, source: ModelSource, settings: AtlasSettings, address: str | None = None,
                 max_retries: int = MAX_RETRIES, num_cpus: int | None = None) -> None:
        self.source, self.settings, self.address = source, settings, address
        self.max_retries, self.num_cpus = max_retries, num_cpus
        self._started = False
        self._pending: list = []
        self.gpus = 0

    def describe(self) -> dict:
        return {"executor": self.kind, "address": self.address or "auto", "gpus_per_task": self.gpus,
                "max_retries": self.max_retries}

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, list[UnitResult]]]:
        ray = import_ray()
        self._started = connect(self.address, self.num_cpus)
        self.gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        remote = ray.remote(num_gpus=self.gpus, num_cpus=1, max_retries=self.max_retries)(_ray_task)
        source = self.source if self.source.rebuildable else ray.put(self.source.module)
        refs = {remote.remote(source, task, self.settings): task for task in tasks}
        self._pending = list(refs)
        finished = False
        try:
            while self._pending:
                ready, self._pending = ray.wait(self._pending, num_returns=1)
                for ref in ready:
                    try:
                        results = ray.get(ref)
                    except Exception as err:  # retries exhausted, or the task raised
                        task = refs[ref]
                        raise AtlasError(
                            f"Ray task for {task.layer} units {list(task.channels)} failed after "
                            f"{self.max_retries} retries: {err}; finished units are kept, rerun to resume"
                        ) from err
                    yield refs[ref], results
            finished = True
        finally:
            if not finished:
                self.close()
            elif self._started:
                ray.shutdown()
                self._started = False

    def close(self) -> None:
        """Cancel pending tasks; shut Ray down if this executor started it."""
        ray = import_ray()
        for ref in self._pending:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # already finished or gone
                pass
        self._pending = []
        if self._started:
            ray.shutdown()
            self._started = False


_MODELS: dict = {}


def _ray_task(source, task: Task, settings: AtlasSettings) -> list[UnitResult]:
    """Body of one Ray task: build (or reuse) the model on this worker, run the task."""
    import torch

    device = "cuda" if torch.cuda.is_available() else None
    if isinstance(source, ModelSource):
        key = (source, device)
        if key not in _MODELS:
            _MODELS.clear()  # one model per worker process
            _MODELS[key] = source.build(device=device)
        model = _MODELS[key]
    else:  # a module from the object store, already deserialized by Ray
        model = source if device is None else source.to(device)
    return run_task(model, task, settings)


__all__ = ["MAX_RETRIES", "RayExecutor", "connect", "import_ray"]
