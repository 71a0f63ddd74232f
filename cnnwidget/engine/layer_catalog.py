"""Find the layers of a network that produce image-like (N, C, H, W) outputs."""

from __future__ import annotations

import difflib
import threading
import weakref
from dataclasses import dataclass

import torch
from torch import nn

from .capture import first_tensor
from .model_guard import preserved
from .placement import model_device, model_dtype


class LayerError(KeyError):
    """A layer name that does not exist or has no image-like output; the message names the fix."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class LayerInfo:
    """One layer a user can look at.

    Attributes:
        name: dotted module name, e.g. ``"layer3.1.conv2"``.
        type: the module's class name, e.g. ``"Conv2d"``.
        shape: output shape ``(C, H, W)`` for the traced input size.
        calls: how many times the module runs in one forward pass; the
            output of the last call is the one shown.
        order: position of the module's last call in the forward pass.
    """

    name: str
    type: str
    shape: tuple[int, int, int]
    calls: int = 1
    order: int = 0

    @property
    def stage(self) -> str:
        """The top-level block this layer belongs to (``"layer3"`` for ``"layer3.1.conv2"``)."""
        return self.name.split(".")[0]

    @property
    def channels(self) -> int:
        """Number of channels (units) in the layer's output."""
        return self.shape[0]


_CACHE: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()


def layers(model: nn.Module, input_size: int | tuple[int, int] = 224) -> list[LayerInfo]:
    """List the layers of ``model`` whose output is a 4-D tensor, in forward order.

    One forward pass on a dummy input, with hooks on every submodule, finds each
    module's output shape. Modules whose output is not a 4-D tensor (the
    classifier, flattening, pooling to a vector) are skipped. The model is left
    exactly as found.

    Args:
        model: any ``torch.nn.Module`` taking an ``(N, 3, H, W)`` image batch.
        input_size: side of the dummy input, or ``(H, W)``.

    Returns:
        A list of :class:`LayerInfo`, ordered by when each module last runs.

    Example:
        >>> import torchvision
        >>> [l.name for l in layers(torchvision.models.resnet18())][:3]
        ['conv1', 'bn1', 'relu']
    """
    h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
    key = (h, w, str(model_device(model)))
    cached = _CACHE.get(model, {}).get(key)
    if cached and _still_present(model, cached):
        return list(cached)
    found: dict[str, list] = {}
    clock = [0]
    handles = []
    tracer = threading.get_ident()

    def hook_for(name: str):
        def hook(module, inputs, output):
            if threading.get_ident() != tracer:  # another thread's forward pass
                return
            clock[0] += 1
            tensor = first_tensor(output)
            entry = found.setdefault(name, [type(module).__name__, None, 0, 0])
            entry[1] = tuple(tensor.shape[1:]) if tensor is not None and tensor.dim() == 4 else None
            entry[2] += 1
            entry[3] = clock[0]

        return hook

    with preserved(model):
        try:
            for name, module in model.named_modules():
                if name:
                    handles.append(module.register_forward_hook(hook_for(name)))
            dummy = torch.zeros(1, 3, h, w, device=model_device(model), dtype=model_dtype(model))
            with torch.no_grad():
                model(dummy)
        finally:
            for handle in handles:
                handle.remove()
    result = [
        LayerInfo(name, kind, shape, calls, order)
        for name, (kind, shape, calls, order) in found.items()
        if shape is not None
    ]
    result.sort(key=lambda info: info.order)
    _CACHE.setdefault(model, {})[key] = result
    return list(result)


def _still_present(model: nn.Module, cached: list[LayerInfo]) -> bool:
    names = {n for n, _ in model.named_modules()}
    return all(info.name in names for info in cached)


def find_layer(model: nn.Module, name: str, input_size: int | tuple[int, int] = 224) -> LayerInfo:
    """Return the :class:`LayerInfo` called ``name``, or raise :class:`LayerError` naming close matches."""
    catalog = layers(model, input_size)
    for info in catalog:
        if info.name == name:
            return info
    names = [info.name for info in catalog]
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
    modules = dict(model.named_modules())
    if name in modules:
        raise LayerError(
            f"layer {name!r} does not output an image-like (N, C, H, W) tensor, so it has no "
            f"activation maps; choose a convolutional layer such as {_deepest_map(catalog)!r}"
            if names
            else f"layer {name!r} has no image-like output"
        )
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else (
        f"valid names include {', '.join(repr(n) for n in names[:3])} ... {names[-1]!r}" if names else ""
    )
    raise LayerError(f"unknown layer {name!r}; {hint} (list them all with cnnwidget.layers(model))")


def _deepest_map(catalog: list[LayerInfo]) -> str:
    spatial = [info.name for info in catalog if info.shape[1] > 1 or info.shape[2] > 1]
    return (spatial or [info.name for info in catalog])[-1]
