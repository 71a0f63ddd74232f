"""Compute the activations of chosen layers for one image."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from .capture import LayerCapture
from .layer_catalog import find_layer
from .model_guard import preserved
from .placement import model_device, model_dtype
from .precision import autocast_context, resolve_precision
from .preprocessing import input_tensor, resolve_preprocess


def activations(
    model: nn.Module,
    image,
    layer: str | Sequence[str],
    *,
    preprocess=None,
) -> np.ndarray | dict[str, np.ndarray]:
    """Return the activations of ``layer`` for ``image`` as ``float32`` ``(C, H, W)`` arrays.

    The forward pass stops right after the last requested layer has run, so the
    rest of the network costs nothing. The model runs in eval mode without
    autograd, on its own device, and is left exactly as found.

    Args:
        model: the network.
        image: a PIL image, file path, ``(H, W, 3)`` array or ``(3, H, W)`` tensor.
        layer: a layer name from :func:`cnnwidget.layers`, or a list of names.
        preprocess: a callable, a torchvision ``Weights`` object, or ``None``
            for the model's own preprocessing (ImageNet 224 px by default).

    Returns:
        One array for one name, or ``{name: array}`` for a list of names.

    Example:
        >>> acts = activations(model, "cat.jpg", "layer3")   # doctest: +SKIP
        >>> acts.shape
        (256, 14, 14)
    """
    names = [layer] if isinstance(layer, str) else list(layer)
    if not names:
        raise ValueError("no layer given; pass a name from cnnwidget.layers(model)")
    transform = resolve_preprocess(preprocess, model)
    x = input_tensor(image, transform)
    tensors = layer_outputs(model, x, names)
    arrays = {name: tensors[name][0].float().cpu().numpy() for name in names}
    return arrays[names[0]] if isinstance(layer, str) else arrays


def layer_outputs(
    model: nn.Module, x: torch.Tensor, names: Sequence[str], *, precision: str = "float32"
) -> dict[str, torch.Tensor]:
    """Run ``model`` on the batch ``x`` up to the deepest of ``names``; return their outputs.

    ``x`` is moved to the model's device and dtype. No autograd; model restored.
    ``precision`` "bfloat16" (or "auto": bfloat16 where the device has it natively) runs a
    float32 model under bfloat16 autocast: 2–3x faster on CPUs with AMX, values within ~1 %.
    """
    size = tuple(x.shape[-2:])
    infos = [find_layer(model, name, size) for name in names]
    calls = {info.name: info.calls for info in infos}
    device, dtype = model_device(model), model_dtype(model)
    chosen = resolve_precision(precision, device) if dtype == torch.float32 else "float32"
    with preserved(model, freeze=False), torch.no_grad(), autocast_context(chosen, device):
        x = x.to(device=device, dtype=dtype)
        with LayerCapture(model, names, calls=calls) as capture:
            return capture.run(x)


def activations_for_tensor(model: nn.Module, x: torch.Tensor, layer: str, *, precision: str = "float32") -> np.ndarray:
    """Activations of ``layer`` for an already preprocessed ``(1, 3, H, W)`` batch, as ``float32 (C, H, W)``."""
    return layer_outputs(model, x, [layer], precision=precision)[layer][0].float().cpu().numpy()
