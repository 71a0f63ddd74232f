"""``build_atlas()``: the picture of every unit of some layers, computed in parallel and saved to a directory."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..engine.layer_catalog import find_layer
from .html import INDEX, write_index
from .plan import Unit, plan_tasks, select_channels
from .settings import AtlasSettings, software_versions
from .source import ModelSource
from .store import AtlasError, AtlasStore


@dataclass
class AtlasResult:
    """What a run of :func:`build_atlas` did.

    Attributes:
        out: the atlas directory.
        computed: units computed by this run.
        skipped: units already in the atlas (resumed), not recomputed.
        seconds: wall time of the computation (model building and planning excluded).
        executor: how the tasks ran (``{"executor", "workers", ...}``).
        store: the atlas, for reading records and pictures.
    """

    out: Path
    computed: list[Unit] = field(default_factory=list)
    skipped: list[Unit] = field(default_factory=list)
    seconds: float = 0.0
    executor: dict = field(default_factory=dict)
    store: AtlasStore | None = field(default=None, repr=False)

    @property
    def index(self) -> Path:
        """The HTML page to open in a browser."""
        return self.out / INDEX

    @property
    def units_per_minute(self) -> float:
        """Throughput of this run (computed units only)."""
        return 60.0 * len(self.computed) / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        return (f"atlas {self.out}: {len(self.computed)} units computed, {len(self.skipped)} already there, "
                f"{self.seconds:.1f} s ({self.units_per_minute:.1f} units/min); open {self.index}")


def build_atlas(
    model,
    layers: str | Sequence[str],
    out,
    *,
    units: str | Sequence[int] | None = None,
    steps: int = 128,
    size: int = 128,
    batch: int = 16,
    seed: int = 0,
    param: str = "fft",
    precision: str = "float32",
    weights: str | None = "DEFAULT",
    executor: str = "local",
    address: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
    progress: bool = True,
    callback: Callable[[dict], None] | None = None,
    examples=None,
) -> AtlasResult:
    """Maximize every unit of ``layers`` and save one PNG each, ``atlas.json`` and ``index.html`` in ``out``.

    The work is cut into tasks of one batched maximization each (``batch`` units of one
    layer). Every unit has its own seed derived from ``seed``, the layer and the channel,
    and its own noise and random transforms, so its picture does not depend on the
    executor, the worker or the order (bit for bit at the same torch threads per worker on
    the same kind of device). A rerun into the same directory skips finished units and cuts
    the tasks as before, so an interrupted atlas ends up as an uninterrupted one would have;
    files are written whole or not at all.

    Args:
        model: a model spec for :func:`cnnwidget.load_model` (``"default"``,
            ``"resnet50"``, ``"timm:NAME"``, ``"pkg.mod:attr"``, a file) which every worker
            rebuilds, or an ``nn.Module`` (then the local executor runs in this process,
            and Ray ships the module through its object store).
        layers: layer names, a list or one comma-separated string (``"layer3,layer4"``).
        out: the atlas directory (created if needed).
        units: channels of each layer: ``None`` (all), ``"0:64"``, ``"0:64:4"``, ``"3,5,9"`` or a list.
        steps, size: optimization steps and picture side per unit.
        batch: units per task (one batched maximization); part of the atlas's settings,
            as the last bits of vectorized kernels, amplified over the steps, depend on it.
        seed: the global seed.
        param: ``"fft"`` (default), ``"soft"`` (soft value range), ``"maco"`` (natural amplitudes, phases
            optimized) or ``"pixel"``.
        precision: ``"float32"`` (default; pictures independent of threads and executor)
            or ``"auto"`` (bfloat16 where native: faster, thread-dependent).
        weights: ``load_model``'s weights for a spec (``None`` or ``"none"``: random
            weights, the same in every worker).
        executor: ``"local"`` (a process per core of this machine) or ``"ray"``.
        address: the Ray cluster (``None``/``"auto"``: this machine's cluster, else a
            local Ray); only with ``executor="ray"``.
        workers: local processes (default: one per core; ``0`` runs in this process).
        threads: torch threads per local process (default: cores / workers).
        progress: show a tqdm bar (units done of units to do).
        callback: ``callback(record)`` after each unit is saved; an exception it raises
            (e.g. ``KeyboardInterrupt``) stops the run, keeping what is saved.
        examples: a :func:`cnnwidget.dataset_examples` directory (or index) of the same model;
            ``index.html`` then shows each unit's top crops beside its picture.

    Returns:
        An :class:`AtlasResult`; ``print`` it for a summary.

    Raises:
        AtlasError: ``out`` holds an atlas made with other settings; Ray missing or unreachable; a task failed.
        LayerError: a layer the model does not have.

    Note:
        The local process pool starts workers with ``spawn``: in a script, call
        ``atlas`` under ``if __name__ == "__main__":``.

    Example:
        >>> result = build_atlas("default", ["stage2", "stage3"], "atlas-default", steps=64)  # doctest: +SKIP
        >>> print(result)  # open result.index in a browser, or CNNExplorer("default", atlas="atlas-default")
    """
    if executor not in ("local", "ray"):
        raise ValueError(f"unknown executor {executor!r}; use 'local' or 'ray'")
    if executor == "ray":
        from .ray_executor import import_ray

        import_ray()  # fail before any work, with the install hint
    settings = AtlasSettings(steps=int(steps), size=int(size), seed=int(seed), batch=int(batch), param=param,
                             precision=precision)
    source = ModelSource.of(model, weights)
    local_model = source.build()
    names = [n.strip() for n in layers.split(",")] if isinstance(layers, str) else [str(n) for n in layers]
    names = [n for n in dict.fromkeys(names) if n]
    if not names:
        raise ValueError("no layer given; name at least one, e.g. layers=['layer3']")
    channels = {name: find_layer(local_model, name, settings.size).channels for name in names}
    wanted = [Unit(name, c) for name in names for c in select_channels(units, channels[name])]

    header = {**source.to_json(), "settings": settings.to_json(),
              "layers": {name: {"channels": channels[name]} for name in names}}
    store = AtlasStore.create_or_resume(out, header)
    if examples is not None:
        from ..dataset_examples import ExampleIndex

        index = examples if isinstance(examples, ExampleIndex) else ExampleIndex.open(examples)  # fails early
        store.header["examples"] = str(Path(index.root).resolve())
    # Tasks are cut from all wanted units, as in an uninterrupted run, so that each unit is
    # computed in the same batch whenever it is computed; a task with any unit missing reruns
    # whole and only its missing units are saved.
    tasks = [t for t in plan_tasks(wanted, settings.batch, settings.seed) if not all(map(store.done, t.units))]
    todo = [u for t in tasks for u in t.units if not store.done(u)]
    result = AtlasResult(Path(out), skipped=[u for u in wanted if store.done(u)], store=store)
    runner = _executor(executor, source, local_model, settings, address, workers, threads)
    result.executor = runner.describe()
    run_id = store.start_run({**result.executor, "versions": software_versions(), "units": len(todo)})
    bar = _bar(progress, len(todo), source.name, executor)
    start = time.perf_counter()
    try:
        for _task, unit_results in runner.run(tasks):
            new = [r for r in unit_results if not store.done(Unit(r.layer, r.channel))]
            for unit_result in new:
                record = store.add(unit_result, run_id)
                result.computed.append(Unit(record["layer"], record["unit"]))
                if callback is not None:
                    callback(record)
            store.flush()
            if bar is not None:
                bar.update(len(new))
    finally:
        result.seconds = time.perf_counter() - start
        runner.close()
        if bar is not None:
            bar.close()
        store.header["runs"][run_id].update(computed=len(result.computed), seconds=round(result.seconds, 2))
        store.flush(force=True)
        write_index(store)
    result.executor = runner.describe()
    return result


def _executor(kind, source, local_model, settings, address, workers, threads):
    from .local import InProcessExecutor, ProcessExecutor

    if kind == "ray":
        from .ray_executor import RayExecutor

        return RayExecutor(source, settings, address=address)
    if address is not None:
        raise ValueError("address is for executor='ray'; pass executor='ray' too (or --ray ADDRESS)")
    if not source.rebuildable or workers == 0:
        return InProcessExecutor(local_model, settings, threads)
    return ProcessExecutor(source, settings, workers=workers, threads=threads)


def _bar(progress: bool, total: int, name: str, kind: str):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"atlas {name} ({kind})", unit="unit")


__all__ = ["AtlasError", "AtlasResult", "build_atlas"]
