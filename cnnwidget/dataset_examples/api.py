"""``dataset_examples()``: which of the user's images fire each unit, saved as an index directory."""

from __future__ import annotations

import sys
import time
from typing import Callable, Sequence

import torch

from ..atlas.settings import software_versions
from ..atlas.source import ModelSource
from ..engine.layer_catalog import find_layer
from ..engine.placement import model_device
from ..engine.preprocessing import resolve_preprocess
from .crops import finalize, layer_facts
from .index import ExampleIndex
from .local import LocalExecutor, default_workers
from .partial import LayerPartial, merge_all
from .plan import default_shard, plan_shards
from .prepare import input_size
from .settings import ExamplesSettings, module_identity
from .sources import ExamplesError, ImageSource
from .store import ExamplesStore


def dataset_examples(
    model,
    source,
    layers: str | Sequence[str],
    *,
    k: int = 9,
    out,
    batch: int | None = None,
    executor: str = "auto",
    preprocess=None,
    progress: bool = True,
    lowest: bool = False,
    weights: str | None = "DEFAULT",
    workers: int | None = None,
    address: str | None = None,
    shard: int | None = None,
    crop: int = 128,
    callback: Callable[[dict], None] | None = None,
) -> ExampleIndex:
    """For every unit of ``layers``, find the ``k`` images of ``source`` where it peaks highest.

    Each image's maximum per unit is kept in a streaming top-k (nothing else outlives a
    batch, so memory does not grow with the data set). Pictures are decoded in parallel
    off the model's thread, and the model runs only as far as the deepest chosen layer.
    At the end the winners are decoded once more: the receptive field at each peak is
    mapped onto the original picture (clipped to it) and saved as a crop. Everything
    goes into ``out`` (an SQLite file and the crops, see :mod:`.store`); a killed run
    resumes from its finished shards when called again with the same arguments.

    Args:
        model: an ``nn.Module``, or a spec for :func:`cnnwidget.load_model` (``"resnet50"``, ``"default"``...).
        source: a folder (searched recursively for JPEG/PNG/WebP/BMP/TIFF; subfolder names become
            labels), a list of paths, a torchvision-style data set (items are pictures or
            ``(picture, label)``; give it without a tensor transform), or a list/iterable of PIL
            images or arrays (an iterable without ``len`` is read into a list first).
        layers: layer names, a list or one comma-separated string.
        k: images kept per unit.
        out: the index directory (new or empty, or one made before with the same settings: resumed).
        batch: images per forward pass (default 64 on a GPU, 32 otherwise).
        executor: ``"local"``, ``"ray"`` (Ray Data readers and model actors, one GPU each when
            there are GPUs), or ``"auto"``: Ray when it is already initialized in this process, else local.
        preprocess: a :class:`~cnnwidget.Preprocess`, a callable, torchvision ``Weights``, or ``None``
            for the model's own (ImageNet 224 px by default).
        progress: show a tqdm bar (images).
        lowest: also keep the ``k`` images where the unit's maximum is lowest.
        weights: ``load_model``'s weights for a spec (``None``/``"none"``: random weights).
        workers: decoding processes (local) or model actors (Ray); default: cores less one / 1 per GPU or 2.
        address: the Ray cluster (only with ``executor="ray"``).
        shard: images per shard, the unit of resume (default: about 2048, whole batches).
        crop: longest side of the saved crops in pixels.
        callback: ``callback({"shard", "images", "skipped"})`` after each shard is stored; an
            exception it raises stops the run, keeping the stored shards.

    Returns:
        The :class:`ExampleIndex`: ``.top(layer, channel)``, ``.stats(layer, channel)``, ``.report``.

    Raises:
        ExamplesError: ``out`` holds examples made with other settings, or is a non-empty other folder;
            the source cannot be read at all; Ray is missing.
        LayerError: a layer the model does not have.

    Example:
        >>> index = dataset_examples("resnet50", "photos/", ["layer3", "layer4"], out="ex-r50")  # doctest: +SKIP
        >>> index.top("layer4", 7)[0].crop
    """
    if executor not in ("auto", "local", "ray"):
        raise ValueError(f"unknown executor {executor!r}; use 'local', 'ray' or 'auto'")
    kind = _resolve_executor(executor)
    src = ImageSource.of(source)
    model_source = ModelSource.of(model, weights)
    local_model = model_source.build()
    transform = resolve_preprocess(preprocess, local_model)
    size = input_size(transform)
    names = [n.strip() for n in layers.split(",")] if isinstance(layers, str) else [str(n) for n in layers]
    names = [n for n in dict.fromkeys(names) if n]
    if not names:
        raise ValueError("no layer given; name at least one, e.g. layers=['layer3']")
    infos = {name: find_layer(local_model, name, size) for name in names}
    on_gpu = model_device(local_model).type == "cuda" or (kind == "ray" and torch.cuda.is_available())
    batch = int(batch or (64 if on_gpu else 32))
    settings = ExamplesSettings(
        model=model_source.name if model_source.rebuildable else module_identity(local_model),
        weights=model_source.weights, layers=tuple(names), k=int(k), lowest=bool(lowest), batch=batch,
        shard=int(shard or default_shard(batch)), preprocess=repr(transform), source=src.fingerprint, crop=int(crop))
    store = ExamplesStore.create_or_resume(out, settings, layer_facts(local_model, infos, size),
                                           [(what, reason) for what, reason in src.skipped])
    try:
        shards = plan_shards(len(src), settings.shard)
        done = store.finished_shards()
        todo = [s for s in shards if s.index not in done]
        if todo or store.meta("status") != "complete":
            _scan(store, todo, kind, model_source, local_model, src, transform, names, size, settings, workers,
                  address, progress, callback)
            empty = {n: LayerPartial.empty(i.channels, settings.k, settings.lowest) for n, i in infos.items()}
            merged = merge_all([empty, *store.partials()])
            finalize(store, merged, src, transform, local_model, store.layers, settings.crop,
                     default_workers() if workers is None or kind == "ray" else workers)
    finally:
        store.close()
    return ExampleIndex.open(out)


def _resolve_executor(executor: str) -> str:
    if executor == "ray":
        from .ray_executor import import_ray

        import_ray()  # fail before any work, with the install hint
        return "ray"
    if executor == "auto":
        ray = sys.modules.get("ray")  # not imported: not initialized either (and importing it costs seconds)
        return "ray" if ray is not None and ray.is_initialized() else "local"
    return "local"


def _scan(store, todo, kind, model_source, local_model, src, transform, names, size, settings, workers, address,
          progress, callback) -> None:
    if kind == "ray":
        from .ray_executor import RayExecutor

        runner = RayExecutor(model_source, src, transform, names, size, settings.k, settings.lowest, settings.batch,
                             actors=workers, address=address)
    else:
        if address is not None:
            raise ValueError("address is for executor='ray'; pass executor='ray' too (or --ray ADDRESS)")
        runner = LocalExecutor(local_model, src, transform, names, size, settings.k, settings.lowest,
                               settings.batch, workers)
    run = store.start_run(kind, software_versions())
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(len(s) for s in todo), desc=f"examples {model_source.name} ({kind})", unit="img")
    images, start = 0, time.perf_counter()
    try:
        for result in runner.run(todo):
            skipped = [(item, src.describe(item), reason) for item, reason in result.skipped]
            from .partial import pack

            store.add_shard(result.shard, pack(result.parts), result.images, skipped, result.seconds)
            images += result.images
            if bar is not None:
                bar.update(len(result.shard))
            if callback is not None:
                callback({"shard": result.shard.index, "images": result.images, "skipped": len(skipped)})
    finally:
        if bar is not None:
            bar.close()
        store.end_run(run, images, round(time.perf_counter() - start, 3))


__all__ = ["dataset_examples"]
