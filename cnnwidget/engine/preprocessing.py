"""How an image becomes the model's input tensor.

By default: resize the shorter side to 224 px, centre-crop a square, scale to
[0, 1] and normalize with ImageNet's mean and standard deviation. A model can
carry its own :class:`Preprocess` in the attribute ``cnnwidget_preprocess``
(models from :func:`cnnwidget.load_model` do); a caller can pass a callable or
a torchvision ``Weights`` object instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from PIL import Image

from .images import load_image

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Preprocess:
    """Resize, centre-crop and normalize, as most ImageNet models expect.

    Attributes:
        size: side of the square input in pixels.
        mean: per-channel mean subtracted after scaling to [0, 1].
        std: per-channel standard deviation divided by.
    """

    size: int = 224
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def crop(self, image: Image.Image) -> Image.Image:
        """The square RGB picture the model sees, before normalization."""
        w, h = image.size
        scale = self.size / min(w, h)
        nw, nh = max(self.size, round(w * scale)), max(self.size, round(h * scale))
        image = image.resize((nw, nh), Image.BICUBIC)
        left, top = (nw - self.size) // 2, (nh - self.size) // 2
        return image.crop((left, top, left + self.size, top + self.size))

    def normalize(self, pixels: torch.Tensor) -> torch.Tensor:
        """Map ``(N, 3, H, W)`` pixels in [0, 1] to the model's input range (differentiable)."""
        mean = torch.tensor(self.mean, device=pixels.device, dtype=pixels.dtype).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=pixels.device, dtype=pixels.dtype).view(1, 3, 1, 1)
        return (pixels - mean) / std

    def __call__(self, image) -> torch.Tensor:
        """``(3, size, size)`` normalized tensor for any image :func:`load_image` accepts."""
        pixels = to_tensor(self.crop(load_image(image)))
        return self.normalize(pixels[None])[0]


def to_tensor(image: Image.Image) -> torch.Tensor:
    """``(3, H, W)`` float tensor in [0, 1] from an RGB PIL image."""
    arr = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(arr).permute(2, 0, 1).contiguous()


def to_pil(pixels: torch.Tensor) -> Image.Image:
    """RGB PIL image from a ``(3, H, W)`` or ``(1, 3, H, W)`` tensor in [0, 1]."""
    if pixels.dim() == 4:
        pixels = pixels[0]
    arr = (pixels.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255).round()
    return Image.fromarray(arr.astype(np.uint8))


def resolve_preprocess(preprocess, model=None) -> Callable:
    """Pick the preprocessing to use.

    Order: an explicit ``preprocess`` (a :class:`Preprocess`, any callable
    returning a ``(3, H, W)`` tensor, or a torchvision ``Weights`` object), then
    the model's own ``cnnwidget_preprocess`` attribute, then ImageNet defaults.
    """
    if preprocess is None:
        preprocess = getattr(model, "cnnwidget_preprocess", None) if model is not None else None
    if preprocess is None:
        return Preprocess()
    if hasattr(preprocess, "transforms") and hasattr(preprocess, "meta"):  # torchvision Weights
        preprocess = preprocess.transforms()
    if not callable(preprocess):
        raise TypeError(
            f"preprocess must be a callable or a torchvision Weights object, got {type(preprocess).__name__}"
        )
    return preprocess


def input_tensor(image, preprocess) -> torch.Tensor:
    """A ``(1, 3, H, W)`` batch from ``image`` using ``preprocess`` (see :func:`resolve_preprocess`)."""
    if isinstance(preprocess, Preprocess):
        return preprocess(image)[None]
    pil = load_image(image)
    out = preprocess(pil)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"preprocess returned {type(out).__name__}; it must return a tensor")
    if out.dim() == 3:
        out = out[None]
    if out.dim() != 4:
        raise ValueError(f"preprocess must return a (3, H, W) tensor; it returned shape {tuple(out.shape)}")
    return out


def display_crop(image, preprocess) -> Image.Image:
    """The picture to show beside the maps: what the model sees, before normalization."""
    pil = load_image(image)
    if isinstance(preprocess, Preprocess):
        return preprocess.crop(pil)
    size = _size_of(preprocess)
    return Preprocess(size=size).crop(pil) if size else pil


def _size_of(preprocess) -> int | None:
    for attr in ("crop_size", "size"):
        value = getattr(preprocess, attr, None)
        if isinstance(value, (list, tuple)) and value:
            value = value[0]
        if isinstance(value, int):
            return value
    return None
