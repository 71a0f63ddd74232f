"""Where a unit fires and why: its upsampled map, and Grad-CAM for that unit.

Grad-CAM (Selvaraju et al., ICCV 2017) weights the feature maps of an earlier
layer by the mean gradient of the target with respect to each of them, sums
them and keeps the positive part. Here the target is one unit's mean
activation, and the earlier layer is by default the nearest one with a finer
map than the unit's own (Grad-CAM on the unit's own layer would only return
its map).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .capture import LayerCapture
from .layer_catalog import find_layer, layers
from .model_guard import preserved
from .placement import model_device, model_dtype


def source_layer(model: nn.Module, layer: str, input_size: tuple[int, int]) -> str:
    """The layer Grad-CAM reads for a unit of ``layer``: the last one before it with a larger map."""
    catalog = layers(model, input_size)
    target = find_layer(model, layer, input_size)
    earlier = [i for i in catalog if i.order < target.order and i.shape[1] > target.shape[1]]
    return earlier[-1].name if earlier else layer


def unit_gradcam(
    model: nn.Module, x: torch.Tensor, layer: str, channel: int, *, source: str | None = None
) -> np.ndarray:
    """Grad-CAM heat map of unit ``(layer, channel)`` for the batch ``x`` (one image).

    Args:
        model: the network (left exactly as found).
        x: preprocessed ``(1, 3, H, W)`` input.
        layer, channel: the unit.
        source: layer whose maps are weighted; see :func:`source_layer`.

    Returns:
        ``float32 (H, W)`` map in [0, 1] at the input's resolution (all zeros
        when the unit does not respond to anything in the picture).
    """
    size = tuple(x.shape[-2:])
    info = find_layer(model, layer, size)
    if not 0 <= channel < info.channels:
        raise ValueError(f"channel {channel} is out of range for {layer!r}: choose 0..{info.channels - 1}")
    source = source or source_layer(model, layer, size)
    names = list(dict.fromkeys([source, layer]))
    calls = {n: find_layer(model, n, size).calls for n in names}
    with preserved(model), torch.enable_grad():
        x = x.to(device=model_device(model), dtype=model_dtype(model)).detach().requires_grad_(True)
        with LayerCapture(model, names, calls=calls) as capture:
            acts = capture.run(x)
        feats = acts[source]
        target = acts[layer][0, channel].float().mean()
        if not target.requires_grad:
            return np.zeros(size, dtype=np.float32)
        (grad,) = torch.autograd.grad(target, feats, allow_unused=True)
    if grad is None:
        return np.zeros(size, dtype=np.float32)
    weights = grad[0].float().mean(dim=(1, 2))
    cam = F.relu((weights[:, None, None] * feats[0].detach().float()).sum(0))
    cam = F.interpolate(cam[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
    top = float(cam.max())
    return (cam / top).cpu().numpy().astype(np.float32) if top > 0 else np.zeros(size, dtype=np.float32)
