"""From a decoded picture to the model's input tensor, and back: where an input pixel lies in the picture.

:func:`prepare` runs in the decoding workers (DataLoader processes or Ray Data tasks),
never on the thread that runs the model. :class:`Geometry` undoes the resize and crop
of the preprocessing so a receptive field found in the input can be drawn on the
original picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from ..engine.preprocessing import Preprocess, to_tensor
from .decode import SkipImage


def prepare(picture: Image.Image, transform) -> torch.Tensor:
    """The ``(3, H, W)`` float tensor the model gets for ``picture``; :class:`SkipImage` if the transform fails."""
    try:
        if isinstance(transform, Preprocess):
            return transform.normalize(to_tensor(transform.crop(picture))[None])[0]
        out = transform(picture)
    except Exception as err:  # the user's transform choking on one picture is bad data, not a dead job
        raise SkipImage(f"preprocess failed ({err.__class__.__name__}: {err})") from None
    if not isinstance(out, torch.Tensor) or out.dim() != 3:
        raise SkipImage(f"preprocess returned {type(out).__name__} {tuple(getattr(out, 'shape', ()))}, "
                        "not a (3, H, W) tensor")
    return out


def input_size(transform) -> tuple[int, int]:
    """``(H, W)`` of the tensors ``transform`` makes (measured on a blank picture)."""
    return tuple(prepare(Image.new("RGB", (320, 256), (128, 128, 128)), transform).shape[-2:])


@dataclass(frozen=True)
class Geometry:
    """Input pixel ``(u, v)`` is picture point ``((u + left) / sx, (v + top) / sy)``.

    Known exactly for :class:`~cnnwidget.engine.Preprocess` (resize the shorter side,
    centre crop) and torchvision's ``ImageClassification`` presets; any other transform
    is taken to stretch the whole picture onto the input.
    """

    sx: float
    sy: float
    left: float
    top: float

    @classmethod
    def of(cls, transform, picture_size: tuple[int, int], size: tuple[int, int]) -> "Geometry":
        w, h = picture_size
        ih, iw = size
        if isinstance(transform, Preprocess):
            scale = transform.size / min(w, h)
            nw, nh = max(transform.size, round(w * scale)), max(transform.size, round(h * scale))
            return cls(nw / w, nh / h, (nw - transform.size) // 2, (nh - transform.size) // 2)
        resize, crop = getattr(transform, "resize_size", None), getattr(transform, "crop_size", None)
        if resize and crop and len(resize) == 1:  # torchvision ImageClassification: shorter side, centre crop
            nw, nh = (resize[0], int(resize[0] * h / w)) if w <= h else (int(resize[0] * w / h), resize[0])
            return cls(nw / w, nh / h, (nw - crop[0]) / 2, (nh - crop[0]) / 2)
        return cls(iw / w, ih / h, 0.0, 0.0)

    def box(self, centre_uv: tuple[float, float], side: float, picture_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """``(left, top, right, bottom)`` in picture pixels of a ``side``-pixel input square around ``centre_uv``,
        clipped to the picture."""
        u, v = centre_uv
        w, h = picture_size
        x0, x1 = (u - side / 2 + self.left) / self.sx, (u + side / 2 + self.left) / self.sx
        y0, y1 = (v - side / 2 + self.top) / self.sy, (v + side / 2 + self.top) / self.sy
        left, right = int(np.clip(np.floor(x0), 0, w)), int(np.clip(np.ceil(x1), 0, w))
        top, bottom = int(np.clip(np.floor(y0), 0, h)), int(np.clip(np.ceil(y1), 0, h))
        return left, top, max(right, left + 1 if left < w else left), max(bottom, top + 1 if top < h else top)


def peak_centre(pos: int, map_size: tuple[int, int], size: tuple[int, int]) -> tuple[float, float]:
    """The input point ``(u, v)`` under the centre of map cell ``pos`` (flat index into an ``h x w`` map)."""
    h, w = map_size
    y, x = divmod(int(pos), w)
    return (x + 0.5) * size[1] / w, (y + 0.5) * size[0] / h


__all__ = ["Geometry", "input_size", "peak_centre", "prepare"]
