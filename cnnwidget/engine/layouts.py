"""How a layer's output is laid out, and how every layout becomes canonical ``(N, C, H, W)`` maps.

Layouts:

========  ==========================  ==============================================
``nchw``  ``(N, C, H, W)``            convolutional networks
``nhwc``  ``(N, H, W, C)``            Swin stages, timm channels-last norms and MLPs
``tokens`` ``(N, P + H*W, C)``        vision transformers: ``P`` class, distillation
                                      or register tokens, then the patch tokens row
                                      by row on an ``H`` x ``W`` grid
``vector`` ``(N, C)``                 logits and pooled features: usable as an
                                      objective (a ``1 x 1`` map), not shown as maps
========  ==========================  ==============================================

Anything else (attention matrices, per-head queries and keys, window partitions)
is ``other``: neither shown nor optimized.

The layout is decided by :func:`decide_layout` from what the layer returns,
with two kinds of evidence, never from sizes alone:

* a *probe*: the model run again with a taller and with a wider input. The
  dimensions that follow the height and the width are the map's rows and
  columns; the remaining one holds the channels. Used whenever the model accepts
  the probe sizes.
* the model's *structure*, for models that only take one input size: the module's
  own channel axis (``Conv2d``/``BatchNorm2d`` act on dimension 1, ``Linear`` and
  ``LayerNorm`` on the last one) and the patch grids the model's convolutions
  (its patch embedding) produce.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

LAYOUTS = ("nchw", "nhwc", "tokens", "vector", "other")
"""Every layout name; the first three are shown as maps."""

MAP_LAYOUTS = ("nchw", "nhwc", "tokens")
"""Layouts offered as activation maps."""

MAX_PREFIX_TOKENS = 16
"""Most class + distillation + register tokens a token sequence may carry before its patch tokens."""

_CHANNEL_FIRST = (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm,
                  nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
_CHANNEL_LAST = (nn.Linear, nn.LayerNorm)


@dataclass(frozen=True)
class LayerLayout:
    """What :meth:`maps` needs to turn one layer's output into ``(N, C, H, W)``.

    Attributes:
        kind: one of :data:`LAYOUTS`.
        prefix: leading non-patch tokens (class, distillation, register) of a ``tokens`` layer.
        grid: ``(H, W)`` of the patch grid of a ``tokens`` layer at the traced input size.
    """

    kind: str = "nchw"
    prefix: int = 0
    grid: tuple[int, int] = (1, 1)

    def maps(self, output: torch.Tensor) -> torch.Tensor:
        """``output`` as ``(N, C, H, W)`` maps (a differentiable view or reshape)."""
        if self.kind == "nhwc":
            return output.permute(0, 3, 1, 2)
        if self.kind == "tokens":
            patches = output[:, self.prefix :]
            h, w = token_grid(patches.shape[1], self.grid)
            return patches.transpose(1, 2).reshape(output.shape[0], output.shape[2], h, w)
        if self.kind == "vector":
            return output.reshape(output.shape[0], -1, 1, 1)
        return output

    def unmaps(self, maps: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
        """The inverse of :meth:`maps`: ``(N, C, H, W)`` maps back in the layout of ``output``.

        Class, distillation and register tokens are taken from ``output`` as they are.
        ``unmaps(maps(output), output)`` equals ``output``; gradients flow through ``maps``.
        """
        if self.kind == "nhwc":
            return maps.permute(0, 2, 3, 1)
        if self.kind == "tokens":
            patches = maps.flatten(2).transpose(1, 2)
            return torch.cat([output[:, : self.prefix], patches], dim=1) if self.prefix else patches
        if self.kind == "vector":
            return maps.reshape(output.shape)
        return maps

    def extra_tokens(self, output: torch.Tensor) -> torch.Tensor | None:
        """The class / distillation / register tokens ``(N, prefix, C)`` of a ``tokens`` layer, else ``None``."""
        if self.kind != "tokens" or self.prefix == 0:
            return None
        return output[:, : self.prefix]


def token_grid(count: int, traced: tuple[int, int]) -> tuple[int, int]:
    """The ``(H, W)`` grid of ``count`` patch tokens: the traced grid, or one of the same aspect.

    A layer captured at another input size than it was traced at keeps its
    grid's aspect ratio (patch grids scale with the input).
    """
    h, w = traced
    if h * w == count:
        return h, w
    best = None
    for rows in range(1, count + 1):
        if count % rows == 0:
            cols = count // rows
            error = abs(rows * w - cols * h)
            if best is None or error < best[0]:
                best = (error, rows, cols)
    return (best[1], best[2]) if best else (1, count)


def decide_layout(
    shape: tuple[int, ...],
    *,
    taller: tuple[int, ...] | None,
    wider: tuple[int, ...] | None,
    channel_axis: str | None,
    grids: set[tuple[int, int]],
    batch: int = 1,
) -> tuple[str, int, tuple[int, int]]:
    """Decide one output's layout: ``(kind, prefix, grid)``.

    Args:
        shape: the output's shape at the traced input size.
        taller, wider: its shape when the input was made taller / wider
            (``None`` when the model refused the probe).
        channel_axis: ``"first"`` or ``"last"`` from the module's own structure
            (see :func:`channel_axis`), ``None`` when the module does not say.
        grids: the spatial grids ``(H, W)`` that the model's own convolutions
            produced at the traced size, with their successive halvings.
        batch: the traced batch size; outputs with another leading size (window
            partitions, per-head tensors) are ``other``.
    """
    if not shape or shape[0] != batch:
        return "other", 0, (1, 1)
    if len(shape) == 2:
        return "vector", 0, (1, 1)
    probed = taller is not None and wider is not None and len(taller) == len(shape) == len(wider)
    if len(shape) == 4:
        if probed:
            rows = {i for i in range(1, 4) if taller[i] != shape[i]}
            cols = {i for i in range(1, 4) if wider[i] != shape[i]}
            if (rows, cols) == ({2}, {3}):
                return "nchw", 0, (shape[2], shape[3])
            if (rows, cols) == ({1}, {2}):
                return "nhwc", 0, (shape[1], shape[2])
            if not rows and not cols and shape[2:] == (1, 1):
                return "nchw", 0, (1, 1)  # pooled to one position
            if not rows and not cols and shape[1:3] == (1, 1):
                return "nhwc", 0, (1, 1)
            if rows or cols:
                return "other", 0, (1, 1)
        first = tuple(shape[2:]) in grids or shape[2:] == (1, 1)
        last = tuple(shape[1:3]) in grids or shape[1:3] == (1, 1)
        if first and last:
            first, last = channel_axis != "last", channel_axis == "last"
        if first:
            return "nchw", 0, (shape[2], shape[3])
        if last:
            return "nhwc", 0, (shape[1], shape[2])
        return "other", 0, (1, 1)
    if len(shape) == 3:
        if probed and (taller[1], wider[1]) == (shape[1], shape[1]) and taller[2] == shape[2] == wider[2]:
            probed = False  # the model resizes its input itself (CrossViT): the structure decides
        if probed and not (taller[1] != shape[1] and wider[1] != shape[1] and taller[2] == shape[2] == wider[2]):
            return "other", 0, (1, 1)
        if channel_axis == "first":
            return "other", 0, (1, 1)
        for h, w in sorted(grids, key=lambda g: -g[0] * g[1]):
            prefix = shape[1] - h * w
            if 0 <= prefix <= MAX_PREFIX_TOKENS and h * w > 1:
                if probed and not _same_prefix(taller[1], wider[1], prefix):
                    continue
                return "tokens", prefix, (h, w)
    return "other", 0, (1, 1)


def _same_prefix(taller: int, wider: int, prefix: int) -> bool:
    return taller - prefix > 0 and wider - prefix > 0


def channel_axis(module: nn.Module, shape: tuple[int, ...]) -> str | None:
    """Which axis of ``shape`` the module's own weights act on: ``"first"`` (dim 1), ``"last"`` or ``None``.

    Read from the last channel-defining submodule (in definition order) whose
    size matches the output: a ``Conv2d``/``BatchNorm2d``/``GroupNorm``/pooling
    acts on dimension 1, a ``Linear``/``LayerNorm`` on the last dimension.
    """
    found = None
    for sub in module.modules():
        if isinstance(sub, _CHANNEL_FIRST):
            size = _channels_of(sub)
            if size is None or (len(shape) > 1 and size == shape[1]):
                found = "first"
        elif isinstance(sub, _CHANNEL_LAST):
            size = _channels_of(sub)
            if size == shape[-1]:
                found = "last"
    return found


def _channels_of(module: nn.Module) -> int | None:
    for attr in ("out_channels", "num_features", "num_channels", "out_features"):
        value = getattr(module, attr, None)
        if isinstance(value, int):
            return value
    shape = getattr(module, "normalized_shape", None)
    if shape:
        return int(shape[-1])
    return None


def spatial_grids(conv_grids: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The grids the model's convolutions produced, with every successive halving (rounded up and down)."""
    found = set()
    todo = list(conv_grids)
    while todo:
        h, w = todo.pop()
        if (h, w) in found or h < 1 or w < 1:
            continue
        found.add((h, w))
        if h > 1 or w > 1:
            todo += [(-(-h // 2), -(-w // 2)), (max(1, h // 2), max(1, w // 2))]
    return found
