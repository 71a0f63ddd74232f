"""A unit's response measured by the tests themselves: their own forward hook, not the package's capture."""

from __future__ import annotations

import torch
from torch import nn

from cnnwidget.engine.normalizer import pixel_normalizer


@torch.no_grad()
def channel_means(model: nn.Module, layer: str, pictures: torch.Tensor) -> torch.Tensor:
    """``(N, C)``: each channel of ``layer``'s output averaged over positions, for each picture."""
    seen = []
    handle = model.get_submodule(layer).register_forward_hook(lambda m, i, out: seen.append(out))
    was_training = model.training
    model.eval()
    try:
        model(pixel_normalizer(None, model)(pictures))
    finally:
        handle.remove()
        model.train(was_training)
    return seen[0].float().mean(dim=(-2, -1))
