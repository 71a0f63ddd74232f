"""A network whose units are known, and pictures with known content planted in them.

:class:`PlantedNet` has hand-set 3x3 filters on the raw pixels (inputs in [0, 1], no
normalization): unit 0 answers red, unit 1 green, unit 2 a vertical edge dark on the
left and bright on the right, unit 3 a horizontal edge dark above and bright below.
``edges`` is that convolution after a ReLU; ``blur`` max-pools by 4 and averages 5x5
cells with a tent weighting (peaked, so the maximum sits over the planted patch); its
receptive field is about 22 input pixels.

:func:`planted_folder` writes grey, slightly noisy pictures of several sizes, and
plants an 8x8 (input-pixel) patch of one known kind in a few of them, near the centre.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnwidget.engine.preprocessing import Preprocess

SIZE = 64
KINDS = ("red", "green", "vertical", "horizontal")
UNIT = {kind: i for i, kind in enumerate(KINDS)}


class PlantedNet(nn.Module):
    """Four known units (see the module doc); ``head`` makes it a classifier like any other."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, padding_mode="replicate")  # no edge at the border
        self.edges = nn.ReLU()
        self.pool = nn.MaxPool2d(4)
        self.blur = nn.Conv2d(4, 4, 5, padding=2, groups=4, bias=False)
        self.head = nn.Linear(4, 2)
        with torch.no_grad():
            w = torch.zeros(4, 3, 3, 3)
            w[0, 0, 1, 1], w[0, 1, 1, 1], w[0, 2, 1, 1] = 1.0, -0.5, -0.5  # red minus the rest
            w[1, 1, 1, 1], w[1, 0, 1, 1], w[1, 2, 1, 1] = 1.0, -0.5, -0.5  # green minus the rest
            sobel = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]) / 3  # on the grey level
            w[2] = sobel[None].expand(3, 3, 3)
            w[3] = sobel.T[None].expand(3, 3, 3)
            self.conv.weight.copy_(w)
            self.conv.bias.zero_()
            tent = torch.tensor([1.0, 2, 3, 2, 1])
            self.blur.weight.copy_((torch.outer(tent, tent) / 81)[None, None].expand(4, 1, 5, 5))  # peaked: one argmax
            self.head.weight.copy_(torch.linspace(-1, 1, 8).view(2, 4))  # the same in every process
            self.head.bias.zero_()
        self.cnnwidget_preprocess = Preprocess(size=SIZE, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))

    def forward(self, x):
        x = self.blur(self.pool(self.edges(self.conv(x))))
        return self.head(x.mean((2, 3)))


def build() -> PlantedNet:
    """The network (a spec for load_model: ``tests.dataset_examples.planted:build``)."""
    return PlantedNet()


def background(width: int, height: int, seed: int) -> np.ndarray:
    """Grey with faint grey noise (no colour, no strong edge)."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 4, (height, width, 1))
    return np.clip(128 + noise, 0, 255).repeat(3, axis=2).astype(np.uint8)


def plant(pixels: np.ndarray, kind: str, centre: tuple[int, int], side: int) -> tuple[int, int, int, int]:
    """Paint a ``side``-pixel patch of ``kind`` centred at ``centre`` (x, y); return its box."""
    x, y = centre
    l, t = x - side // 2, y - side // 2
    r, b = l + side, t + side
    patch = pixels[t:b, l:r]
    if kind == "red":
        patch[:] = (255, 0, 0)
    elif kind == "green":
        patch[:] = (0, 255, 0)
    elif kind == "vertical":
        patch[:, : side // 2] = 0
        patch[:, side // 2 :] = 255
    elif kind == "horizontal":
        patch[: side // 2] = 0
        patch[side // 2 :] = 255
    return l, t, r, b


def planted_folder(root: Path, plain: int = 20, per_kind: int = 2, seed: int = 0) -> dict:
    """Write the pictures; return ``{kind: {file name: planted box}}``.

    Pictures are 64..120 px wide and 64..100 high; the centre crop of the preprocessing
    scales them to 64 px, so a patch of ``side`` input pixels is ``side * min(w, h) / 64``
    picture pixels.
    """
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    planted: dict[str, dict[str, tuple]] = {kind: {} for kind in KINDS}
    n = 0
    for i in range(plain):
        w, h = int(rng.integers(64, 121)), int(rng.integers(64, 101))
        Image.fromarray(background(w, h, seed + n)).save(root / f"plain-{i:03d}.png")
        n += 1
    for kind in KINDS:
        for j in range(per_kind):
            w, h = int(rng.integers(64, 121)), int(rng.integers(64, 101))
            pixels = background(w, h, seed + n)
            n += 1
            side = round(8 * min(w, h) / SIZE)
            cx = w // 2 + int(rng.integers(-8, 9))
            cy = h // 2 + int(rng.integers(-8, 9))
            name = f"{kind}-{j}.png"
            planted[kind][name] = plant(pixels, kind, (cx, cy), side)
            Image.fromarray(pixels).save(root / name)
    return planted
