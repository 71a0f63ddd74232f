"""Check an atlas against the model: each saved picture, reloaded, is what its record says.

For every unit ``(layer, c)`` the PNG filed under it is read back from disk and run
through the model (our own forward hook, the model's pixel normalization):

- the unit's value on its own picture matches the value recorded in ``atlas.json``
  (up to the PNG's 8-bit rounding);
- its own picture drives the unit harder than any other unit's picture does.

A picture filed under the wrong channel fails both.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from tests.unit_response import channel_means


def reloaded(path: Path) -> torch.Tensor:
    """The PNG at ``path`` as ``(3, H, W)`` floats in [0, 1], exactly as stored."""
    with Image.open(path) as image:
        array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1)


def atlas_problems(out: Path, model: nn.Module, tolerance: float = 1e-3) -> list[str]:
    """Everything wrong between the atlas in ``out`` and ``model`` (empty when all is right).

    ``tolerance``: allowed difference from the recorded value, absolute plus as much again relative
    (the PNG rounds each colour to 1/255).
    """
    records = json.loads((Path(out) / "atlas.json").read_text())["units"]
    problems = []
    for layer in sorted({r["layer"] for r in records}):
        units = sorted((r for r in records if r["layer"] == layer), key=lambda r: r["unit"])
        pictures = torch.stack([reloaded(Path(out) / r["file"]) for r in units])
        means = channel_means(model, layer, pictures)  # (pictures, channels)
        for row, record in enumerate(units):
            c = record["unit"]
            own = float(means[row, c])
            if abs(own - record["value"]) > tolerance * (1.0 + abs(record["value"])) + 0.01 * abs(record["value"]):
                problems.append(f"{layer}:{c}: its picture gives {own:.4f}, the record says {record['value']:.4f}")
            others = [(float(means[k, c]), units[k]["unit"]) for k in range(len(units)) if k != row]
            best_other = max(others, default=(float("-inf"), None))
            if best_other[0] >= own:
                problems.append(f"{layer}:{c}: unit {best_other[1]}'s picture drives it harder ({best_other[0]:.4f} >= {own:.4f})")
    return problems
