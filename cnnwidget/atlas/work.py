"""One task of an atlas: a batched maximization of a few units, turned into PNGs and values.

This is the only code that runs on workers; it returns bytes, never touches the
atlas directory, so workers need no shared file system.

Each unit has its own seed, noise and random views (``Maximizer(seeds=...)``), so a
task computes the same pictures in whatever process, machine or order it runs. They
are bit-identical for the same batch size and the same number of torch threads per
worker (recorded with each unit; the local pool and Ray use one): vectorized kernels
round the last bit differently for other batch sizes or thread counts, and an
optimization of many steps amplifies that into a different picture of the same unit.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass

import torch
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from torch import nn

from ..engine import objectives as obj
from ..engine.maximize import Maximizer
from .plan import Task
from .settings import AtlasSettings

MASK_PARAMS = ("maco",)
"""Parameterizations whose units also get a transparency mask in the atlas (MACO's, Fel et al. 2023)."""

PNG_KEY = "cnnwidget-atlas"
"""PNG text chunk holding the unit's record (JSON), so a picture describes itself."""


@dataclass
class UnitResult:
    """A finished unit: its picture (PNG bytes, record embedded), its record and, for the
    :data:`MASK_PARAMS`, its transparency mask (PNG bytes: white, the mask as alpha)."""

    record: dict
    png: bytes
    mask: bytes | None = None

    @property
    def layer(self) -> str:
        return self.record["layer"]

    @property
    def channel(self) -> int:
        return self.record["unit"]


def run_task(model: nn.Module, task: Task, settings: AtlasSettings) -> list[UnitResult]:
    """Maximize every unit of ``task`` in one batch; one :class:`UnitResult` per unit.

    Each record holds ``layer, unit, value`` (the objective of the final picture, seen
    without random transforms), ``steps, size, seed`` (the unit's own seed),
    ``global_seed, param, device`` and ``seconds`` (the task's time shared per unit).
    With a parameterization in :data:`MASK_PARAMS` each unit also gets its mask
    (:meth:`~cnnwidget.engine.maximize.Maximizer.masks`: where the unit looked).
    """
    start = time.perf_counter()
    goals = [obj.channel(task.layer, c) for c in task.channels]
    engine = Maximizer(
        model, goals, steps=settings.steps, size=settings.size, param=settings.param, seeds=task.seeds,
        precision=settings.precision,
    )
    engine.run()
    values = engine.evaluate().tolist()
    images = engine.images()
    masks = engine.mask_images() if settings.param in MASK_PARAMS else [None] * len(images)
    seconds = (time.perf_counter() - start) / len(task.channels)
    device = str(_device(model))
    results = []
    for channel, seed, value, image, mask in zip(task.channels, task.seeds, values, images, masks):
        record = {
            "layer": task.layer,
            "unit": int(channel),
            "value": float(value),
            "steps": settings.steps,
            "size": settings.size,
            "seed": int(seed),
            "global_seed": settings.seed,
            "batch": settings.batch,
            "param": settings.param,
            "precision": settings.precision,
            "device": device,
            "threads": torch.get_num_threads() if device == "cpu" else None,
            "seconds": round(seconds, 4),
        }
        embedded = {k: v for k, v in record.items() if k != "seconds"}  # same unit, same bytes
        results.append(UnitResult(record, encode_png(image, embedded), None if mask is None else encode_mask(mask)))
    return results


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters(), torch.empty(0)).device


def encode_png(image: Image.Image, record: dict) -> bytes:
    """PNG bytes of ``image`` with ``record`` in a text chunk named :data:`PNG_KEY`."""
    info = PngInfo()
    info.add_text(PNG_KEY, json.dumps(record, sort_keys=True))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def encode_mask(mask: Image.Image) -> bytes:
    """PNG bytes of a greyscale mask as a white picture whose alpha is the mask (a CSS ``mask-image``)."""
    out = Image.new("RGBA", mask.size, (255, 255, 255, 255))
    out.putalpha(mask.convert("L"))
    buffer = io.BytesIO()
    out.save(buffer, format="PNG")
    return buffer.getvalue()


def png_record(data: bytes | str) -> dict | None:
    """The record embedded in an atlas PNG (bytes or a path), ``None`` when absent or unreadable."""
    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
            text = image.text.get(PNG_KEY) if hasattr(image, "text") else None
        return json.loads(text) if text else None
    except (OSError, ValueError, SyntaxError):
        return None


__all__ = ["MASK_PARAMS", "PNG_KEY", "UnitResult", "encode_mask", "encode_png", "png_record", "run_task"]
