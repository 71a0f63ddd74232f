"""Let gradients through ReLUs that are off everywhere, so silent units can still be maximized.

A unit whose ReLU input is negative at every position of the starting picture
has zero gradient: plain gradient ascent never moves it. Lucid's remedy,
used here, swaps the ReLU's backward for a *redirected* one: where the
ordinary gradient of an image is zero everywhere, the gradient is passed
through wherever it would push the ReLU's input *up* towards activity (and
still blocked where it would push a negative input further down). Images
whose ordinary gradient is non-zero keep it unchanged.

:func:`redirected_relus` does this for ``nn.ReLU``, ``nn.ReLU6``, ``F.relu``,
``torch.relu``, ``Tensor.relu`` and their in-place forms, without touching the
model: a ``TorchFunctionMode`` intercepts the calls for the duration of a
``with`` block (wrap only the forward pass in it). In-place calls return a new
tensor instead, which is what every ``x = relu(x)`` caller needs. The maximizer
uses it for the first steps only, then runs the ordinary network.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode


class _RedirectedClamp(torch.autograd.Function):
    """``x.clamp(lo, hi)`` whose backward lets gradient through where the usual one is all zero."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return x.clamp(lo, hi)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        open_ = x > ctx.lo
        if ctx.hi is not None:
            open_ = open_ & (x < ctx.hi)
        ordinary = grad * open_
        # Gradient descent on the loss moves x by -grad: grad > 0 pushes x down.
        blocked = (x <= ctx.lo) & (grad > 0)
        if ctx.hi is not None:
            blocked = blocked | ((x >= ctx.hi) & (grad < 0))
        redirected = grad.masked_fill(blocked, 0)
        if x.dim() >= 2:
            alive = ordinary.flatten(1).abs().amax(dim=1) > 0
            alive = alive.view(-1, *([1] * (x.dim() - 1)))
        else:
            alive = ordinary.abs().amax() > 0
        return torch.where(alive, ordinary, redirected), None, None


def redirected_relu(x: torch.Tensor) -> torch.Tensor:
    """``relu(x)`` with the redirected backward (see the module docstring)."""
    return _RedirectedClamp.apply(x, 0.0, None)


_RELUS = {F.relu, torch.relu, torch.Tensor.relu, torch.relu_, torch.Tensor.relu_, F.relu_}


class redirected_relus(TorchFunctionMode):
    """Context manager: inside it, ReLU calls use :func:`redirected_relu`.

    Example:
        >>> with redirected_relus():          # doctest: +SKIP
        ...     out = model(x)                # forward with redirected ReLUs
        >>> (-out[:, 5].mean()).backward()    # backward outside the block
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _RELUS and args and isinstance(args[0], torch.Tensor):
            return _RedirectedClamp.apply(args[0], 0.0, None)
        if func is F.hardtanh and args and isinstance(args[0], torch.Tensor):
            lo = kwargs.get("min_val", args[1] if len(args) > 1 else -1.0)
            hi = kwargs.get("max_val", args[2] if len(args) > 2 else 1.0)
            if lo == 0.0:  # ReLU6 and friends
                return _RedirectedClamp.apply(args[0], float(lo), float(hi))
        return func(*args, **kwargs)
