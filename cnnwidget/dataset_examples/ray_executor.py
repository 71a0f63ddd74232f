"""Scan on Ray Data: Ray tasks decode batches, actors run the model (one GPU each when there are GPUs).

The plan's batches become the rows of a Ray Data dataset (for files, each row
carries just its batch's paths; a data set in memory travels once through the
object store). ``map`` decodes a row into a batch of tensors in a Ray task, the
same :class:`~.loader.PreparedItems` the local executor uses; a second ``map`` on a
pool of actors runs :class:`~.scan.Scanner` on it and returns only the batch's
summary. The driver gathers the summaries of each shard and folds them in batch
order, exactly as the local executor does, so both give the same index. Ray
streams the stages, so decoding overlaps the forward passes and memory stays
bounded by Ray Data's buffers.
"""

from __future__ import annotations

import pickle
import time
from typing import Iterator, Sequence

import numpy as np

from ..atlas.ray_executor import connect
from ..atlas.source import ModelSource
from .loader import PreparedItems, collate
from .partial import LayerPartial, pack, unpack
from .plan import Shard
from .scan import Scanner
from .shard_result import ShardResult, fold
from .sources import ExamplesError, ImageSource


def import_ray():
    """``import ray.data``, or an :class:`ExamplesError` saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401 - needs the [data] extra (pandas, pyarrow)
    except ImportError:
        raise ExamplesError(
            "the Ray executor needs Ray Data, an optional extra: pip install 'cnnwidget[ray]' "
            "(or use executor='local', the default)"
        ) from None
    return ray


class RayExecutor:
    """Scan shards with Ray Data.

    Args:
        model_source: the model (a spec each actor rebuilds, or a module shipped to the actors).
        source: the :class:`~.sources.ImageSource`.
        transform, layers, size, k, lowest, batch: as for the local executor.
        actors: model actors (default: one per GPU of the cluster, else 2).
        address: the cluster (``None``/``"auto"``: this machine's, or a local Ray).
    """

    kind = "ray"

    def __init__(self, model_source: ModelSource, source: ImageSource, transform, layers: Sequence[str], size,
                 k: int, lowest: bool, batch: int, actors: int | None = None, address: str | None = None) -> None:
        self.model_source, self.source, self.transform = model_source, source, transform
        self.layers, self.size, self.k, self.lowest, self.batch = list(layers), size, k, lowest, batch
        self.actors, self.address, self.gpus = actors, address, 0

    def describe(self) -> dict:
        return {"executor": self.kind, "actors": self.actors, "gpus_per_actor": self.gpus}

    def run(self, shards: Sequence[Shard]) -> Iterator[ShardResult]:
        if not shards:
            return
        ray = import_ray()
        started = connect(self.address)
        try:
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False
            self.gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
            actors = self.actors or (int(ray.cluster_resources().get("GPU", 0)) if self.gpus else 2)
            self.actors = actors
            rows, expected = [], {}
            in_memory = self.source.paths is None
            shared = ray.put(self.source) if in_memory else None
            for shard in shards:
                batches = shard.batches(self.batch)
                expected[shard.index] = (shard, len(batches), time.perf_counter())
                for b, ids in enumerate(batches):
                    part = None if in_memory else self.source.for_paths(ids)
                    rows.append({"shard": shard.index, "batch": b, "work": pickle.dumps((ids, part))})
            channels = {name: info["channels"] for name, info in _channels(self.model_source, self.layers,
                                                                          self.size).items()}
            ds = ray.data.from_items(rows, override_num_blocks=len(rows))
            # Decoding stays a stage of Ray tasks of its own: Ray Data fuses a task stage into the next
            # actor stage only when their resource requests agree, and these differ (the decoders reserve
            # the memory of two decoded batches).
            batch_bytes = 2 * self.batch * 3 * self.size[0] * self.size[1] * 4
            ds = ds.map(_decode, fn_kwargs={"shared": shared, "transform": self.transform}, num_cpus=1,
                        memory=batch_bytes)
            model = self.model_source if self.model_source.rebuildable else ModelSource(None, None,
                                                                                        self.model_source.module)
            ds = ds.map(_ScanActor, fn_constructor_args=(model, self.layers, self.size, self.k, self.lowest),
                        compute=ray.data.ActorPoolStrategy(size=actors), num_gpus=self.gpus, num_cpus=1)
            got: dict[int, dict[int, tuple]] = {}
            for row in ds.iter_rows():
                shard_index, b = int(row["shard"]), int(row["batch"])
                got.setdefault(shard_index, {})[b] = pickle.loads(row["result"])
                shard, count, start = expected[shard_index]
                if len(got[shard_index]) == count:
                    results = got.pop(shard_index)
                    empty = {n: LayerPartial.empty(c, self.k, self.lowest) for n, c in channels.items()}
                    parts = fold(empty, (unpack(results[i][0]) for i in range(count)))
                    images = sum(results[i][1] for i in range(count))
                    skipped = [s for i in range(count) for s in results[i][2]]
                    yield ShardResult(shard, parts, images, skipped, time.perf_counter() - start)
        finally:
            if started:
                ray.shutdown()


def _channels(model_source, layers, size) -> dict:
    from ..engine.layer_catalog import find_layer

    model = model_source.build()
    return {name: {"channels": find_layer(model, name, size).channels} for name in layers}


def _decode(row: dict, shared, transform) -> dict:
    """Ray task: one planned batch, decoded and preprocessed."""
    ids, part = pickle.loads(row["work"])
    if part is not None:
        dataset, offset = PreparedItems(part, transform), 0
        batch = collate([_renumber(dataset[j], ids[j]) for j in range(len(ids))])
    else:
        dataset = PreparedItems(shared, transform)
        batch = collate([dataset[i] for i in ids])
    pixels = None if batch.pixels is None else batch.pixels.numpy()
    return {"shard": row["shard"], "batch": row["batch"], "work": pickle.dumps((batch.items, pixels, batch.skipped))}


def _renumber(entry, item):
    _, tensor, reason = entry
    return item, tensor, reason


class _ScanActor:
    """Ray actor: builds the model once on its device and scans decoded batches."""

    def __init__(self, model_source: ModelSource, layers, size, k, lowest) -> None:
        import torch

        device = "cuda" if torch.cuda.is_available() else None
        self.model = model_source.build(device=device)
        self.scanner = Scanner(self.model, layers, tuple(size), k, lowest).__enter__()

    def __call__(self, row: dict) -> dict:
        import torch

        items, pixels, skipped = pickle.loads(row["work"])
        parts = self.scanner.scan(None if pixels is None else torch.from_numpy(pixels), np.asarray(items))
        result = (pack(parts), len(items), skipped)
        return {"shard": row["shard"], "batch": row["batch"], "result": pickle.dumps(result)}


__all__ = ["RayExecutor", "import_ray"]
