"""How much of the input one unit of a layer sees: its effective receptive field."""

from __future__ import annotations

import weakref

import torch
from torch import nn

from .layer_catalog import capture_for, find_layer
from .model_guard import preserved
from .placement import model_device, model_dtype

_CACHE: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()


def receptive_field(model: nn.Module, layer: str, input_size: int = 224) -> int:
    """Side in input pixels of the region that influences a unit at the centre of ``layer``.

    Measured, not derived from the architecture: the gradient of the central
    unit with respect to a random input, thresholded at 1% of its peak, gives
    the effective receptive field (Luo et al., NeurIPS 2016); the side of its
    bounding box is returned (at least the input's size divided by the map's).
    Cached per model, layer and size.
    """
    cache = _CACHE.setdefault(model, {})
    key = (layer, input_size)
    if key in cache:
        return cache[key]
    info = find_layer(model, layer, input_size)
    _, h, w = info.shape
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, input_size, input_size, generator=generator)
    with preserved(model), torch.enable_grad():
        x = x.to(device=model_device(model), dtype=model_dtype(model)).requires_grad_(True)
        with capture_for(model, [layer], input_size) as capture:
            out = capture.run(x)[layer]
        target = out[0, :, h // 2, w // 2].float().abs().sum()
        (grad,) = torch.autograd.grad(target, x, allow_unused=True)
    stride = max(1, input_size // max(h, w))
    if grad is None or float(grad.abs().max()) == 0:
        side = stride
    else:
        mask = grad[0].abs().amax(0) > 0.01 * grad.abs().max()
        rows = mask.any(1).nonzero()
        cols = mask.any(0).nonzero()
        side = int(max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1))
    cache[key] = max(side, stride)
    return cache[key]
