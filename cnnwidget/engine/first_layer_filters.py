"""The first convolution's weights, shown as small pictures (CS231n's first-layer view).

A network's first layer looks straight at the pixels, so its filters can be
drawn as images: colour for a layer reading three channels (red, green, blue),
grey for any other number (the mean over its input channels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from .layer_catalog import layers


@dataclass(frozen=True)
class Filters:
    """The first convolution's filters as tiles.

    Attributes:
        layer: the convolution's name (``(layer, i)`` is the unit of tile ``i``).
        tiles: ``float32 (C_out, kh, kw, 3)`` in [0, 1]; 0.5 is a zero weight.
        colour: ``True`` for RGB tiles, ``False`` for grey (other input channel counts).
    """

    layer: str
    tiles: np.ndarray
    colour: bool

    def sheet(self, zoom: int = 8, columns: int | None = None, gap: int = 1) -> Image.Image:
        """All tiles in one picture, each enlarged ``zoom`` times (nearest), on a white grid."""
        n, kh, kw, _ = self.tiles.shape
        columns = columns or int(np.ceil(np.sqrt(n)))
        rows = int(np.ceil(n / columns))
        th, tw = kh * zoom, kw * zoom
        sheet = np.full((rows * (th + gap) + gap, columns * (tw + gap) + gap, 3), 255, np.uint8)
        for i, tile in enumerate(self.tiles):
            r, c = divmod(i, columns)
            big = np.kron((tile * 255).round().astype(np.uint8), np.ones((zoom, zoom, 1), np.uint8))
            sheet[gap + r * (th + gap) : gap + r * (th + gap) + th, gap + c * (tw + gap) : gap + c * (tw + gap) + tw] = big
        return Image.fromarray(sheet)


def first_conv(model: nn.Module, input_size: int = 224) -> str:
    """The name of the first ``Conv2d`` to run in the forward pass.

    Models that do not take 3-channel pictures cannot be traced with a dummy
    picture; for them it is the first ``Conv2d`` registered.

    Raises:
        ValueError: the model runs no ``Conv2d`` on an image.
    """
    try:
        catalog = layers(model, input_size)
    except Exception:  # the model does not take 3-channel pictures: registration order instead
        catalog = None
    if catalog is not None:
        for info in catalog:
            if info.type == "Conv2d":
                return info.name
    else:
        for name, module in model.named_modules():
            if isinstance(module, nn.Conv2d):
                return name
    raise ValueError("the model has no Conv2d layer on its image input, so it has no first-layer filters to show")


def filters(model: nn.Module, *, layer: str | None = None, each: bool = True, input_size: int = 224) -> Filters:
    """The first convolution's weights as RGB tiles (grey for other channel counts).

    Args:
        model: the network (not modified; its weights are only read).
        layer: a ``Conv2d`` to show instead of the first one.
        each: scale each filter by its own largest weight (``True``, shows every
            filter's pattern) or all by the layer's largest (``False``, shows which
            filters are strong).
        input_size: side of the dummy picture used to find the forward order.

    Returns:
        :class:`Filters`; ``Filters.sheet()`` draws them in a grid.

    Example:
        >>> cnnwidget.filters(torchvision.models.alexnet()).tiles.shape   # doctest: +SKIP
        (64, 11, 11, 3)
    """
    name = layer or first_conv(model, input_size)
    module = dict(model.named_modules()).get(name)
    if not isinstance(module, nn.Conv2d):
        raise ValueError(f"{name!r} is not a Conv2d layer; pass the name of a convolution, or no layer for the first")
    with torch.no_grad():
        w = module.weight.detach().float().cpu()  # (C_out, C_in/groups, kh, kw)
    colour = w.shape[1] == 3
    if not colour:
        w = w.mean(1, keepdim=True).expand(-1, 3, -1, -1)
    reach = w.abs().amax(dim=(1, 2, 3), keepdim=True) if each else w.abs().max().expand(w.shape[0], 1, 1, 1)
    tiles = 0.5 + 0.5 * w / reach.clamp(min=1e-12)
    return Filters(name, tiles.permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32), colour)
