"""Render the pictures of docs/default-model.md from the shipped default model.

    python scripts/render_default_model_docs.py          # ≈ 5 min on 2 CPU cores

Writes to docs/img/:

* ``default-model-data.jpg`` — examples of every class from the generator;
* ``default-model-filters.png`` — the 32 first-layer (``stem.conv``) filters;
* ``default-model-<layer>.jpg`` — feature visualizations (``cnnwidget.maximize``)
  of units of three layers: ``stem``, ``stage2`` and ``stage4``.

It also prints the per-class accuracy on the held-out set for the model card.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cnnwidget  # noqa: E402
from cnnwidget.data.synthetic import CLASSES, make_batch  # noqa: E402
from cnnwidget.engine.preprocessing import to_pil  # noqa: E402

OUT = ROOT / "docs" / "img"
GALLERY = {"stem": 8, "stage2": 8, "stage4": 8}
"""Layers shown in the gallery, and how many units of each."""


def label_strip(text: str, width: int, height: int = 18) -> Image.Image:
    strip = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(strip).text((4, 3), text, fill="black")
    return strip


def data_grid(per_class: int = 8, tile: int = 96) -> Image.Image:
    labels = torch.arange(len(CLASSES)).repeat_interleave(per_class)
    images, _ = make_batch(len(labels), size=128, seed=2024, labels=labels)
    label_w = 150
    grid = Image.new("RGB", (label_w + per_class * (tile + 2), len(CLASSES) * (tile + 2)), "white")
    draw = ImageDraw.Draw(grid)
    for c, name in enumerate(CLASSES):
        draw.text((6, c * (tile + 2) + tile // 2 - 6), f"{c:2d} {name}", fill="black")
        for j in range(per_class):
            pic = to_pil(images[c * per_class + j]).resize((tile, tile), Image.BILINEAR)
            grid.paste(pic, (label_w + j * (tile + 2), c * (tile + 2)))
    return grid


def filter_grid(model, scale: int = 8) -> Image.Image:
    w = model.stem.conv.weight.detach().float()  # (32, 3, 7, 7)
    n, _, k, _ = w.shape
    cols = 8
    grid = Image.new("RGB", (cols * (k * scale + 4), (n // cols) * (k * scale + 4)), "white")
    for i in range(n):
        f = w[i]
        f = (f - f.mean()) / (2 * f.abs().max() + 1e-8) + 0.5  # zero → grey, sign kept
        pic = to_pil(f).resize((k * scale, k * scale), Image.NEAREST)
        grid.paste(pic, ((i % cols) * (k * scale + 4), (i // cols) * (k * scale + 4)))
    return grid


def strongest_units(model, layer: str, count: int) -> list[int]:
    """The ``count`` units of ``layer`` with the largest mean activation on generated images."""
    images, _ = make_batch(240, size=128, seed=77)
    pre = model.cnnwidget_preprocess
    captured = {}
    module = dict(model.named_modules())[layer]
    handle = module.register_forward_hook(lambda m, i, o: captured.__setitem__("x", o.detach()))
    try:
        with torch.no_grad():
            model(pre.normalize(images))
    finally:
        handle.remove()
    score = captured["x"].amax(dim=(2, 3)).mean(dim=0)  # mean over images of each map's peak
    return score.argsort(descending=True)[:count].sort().values.tolist()


def gallery_row(model, layer: str, units: list[int], steps: int, size: int) -> Image.Image:
    objectives = [f"{layer}:{u}" for u in units]
    pictures = cnnwidget.maximize(model, objectives, steps=steps, size=size, seed=0, progress=False)
    row = Image.new("RGB", (len(units) * (size + 4), size + 18), "white")
    for i, (u, pic) in enumerate(zip(units, pictures)):
        row.paste(label_strip(f"{layer}:{u}", size), (i * (size + 4), 0))
        row.paste(pic, (i * (size + 4), 18))
    return row


def per_class_accuracy(model) -> dict[str, float]:
    images, labels = make_batch(2400, size=128, seed=1_000_003 + 1)
    pre = model.cnnwidget_preprocess
    with torch.no_grad():
        pred = torch.cat([model(pre.normalize(images[i : i + 200])).argmax(1) for i in range(0, len(images), 200)])
    return {name: (pred[labels == c] == c).float().mean().item() for c, name in enumerate(CLASSES)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--skip-gallery", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    OUT.mkdir(parents=True, exist_ok=True)
    model = cnnwidget.load_model("default")

    data_grid().save(OUT / "default-model-data.jpg", quality=88)
    filter_grid(model).save(OUT / "default-model-filters.png", optimize=True)
    for name, acc in per_class_accuracy(model).items():
        print(f"| {name} | {acc:.1%} |")
    if args.skip_gallery:
        return 0
    for layer, count in GALLERY.items():
        units = strongest_units(model, layer, count)
        gallery_row(model, layer, units, args.steps, args.size).save(OUT / f"default-model-{layer}.jpg", quality=90)
        print(f"{layer}: units {units}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
