"""Find the layers of a network whose outputs are activation maps, and how each is laid out.

A layer's output is read as maps when it is ``(N, C, H, W)`` (convolutional
networks), ``(N, H, W, C)`` (Swin, timm's channels-last norms and MLPs) or a
token sequence ``(N, P + H*W, C)`` (vision transformers); see
:mod:`~cnnwidget.engine.layouts` for how the layout is recognized. Every
feature of the engine sees every layer as canonical ``(N, C, H, W)`` maps.
"""

from __future__ import annotations

import difflib
import threading
import weakref
from dataclasses import dataclass

import torch
from torch import nn

from .capture import LayerCapture, first_tensor
from .layouts import MAP_LAYOUTS, LayerLayout, channel_axis, decide_layout, spatial_grids
from .model_guard import preserved
from .model_input import (
    DEVICE_MIXUP_FIX, DeviceError, InputSizeError, ModelInput, input_channels, is_device_mixup, model_input,
    remember_accepted, single_device,
)
from .placement import model_dtype

PROBE_STEP = 32
"""Pixels added to the height, then to the width, of the probes that tell rows and columns apart."""


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
        shape: canonical output shape ``(C, H, W)`` for the traced input size,
            whatever the layer's layout (``C`` is always the real channel count).
        calls: how many times the module runs in one forward pass; the
            output of the last call is the one shown.
        order: position of the module's last call in the forward pass.
        layout: how the module returns it: ``"nchw"``, ``"nhwc"``, ``"tokens"``
            (``(N, prefix + H*W, C)``) or ``"vector"`` (``(N, C)``, objectives only).
        prefix: class, distillation and register tokens before the patch tokens.
    """

    name: str
    type: str
    shape: tuple[int, int, int]
    calls: int = 1
    order: int = 0
    layout: str = "nchw"
    prefix: int = 0

    @property
    def stage(self) -> str:
        """The top-level block this layer belongs to (``"layer3"`` for ``"layer3.1.conv2"``)."""
        return self.name.split(".")[0]

    @property
    def channels(self) -> int:
        """Number of channels (units) in the layer's output."""
        return self.shape[0]

    @property
    def is_map(self) -> bool:
        """Whether the layer has activation maps to show (``vector`` layers are objectives only)."""
        return self.layout in MAP_LAYOUTS

    @property
    def layout_spec(self) -> LayerLayout:
        """What turns this layer's raw output into ``(N, C, H, W)`` maps."""
        return LayerLayout(self.layout, self.prefix, tuple(self.shape[1:]))


_CACHE: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()


def layers(model: nn.Module, input_size: int | tuple[int, int] = 224, *, maps_only: bool = True) -> list[LayerInfo]:
    """List the layers of ``model`` whose outputs are activation maps, in forward order.

    One forward pass on a blank input, with hooks on every submodule, finds
    each module's output; two more with a taller and a wider input tell rows,
    columns and channels apart (for models that only take one size, the model's
    structure does). Attention internals, window partitions and other outputs
    are left out; so are vectors such as logits unless ``maps_only=False``.
    The model is left exactly as found.

    Args:
        model: any ``torch.nn.Module`` taking an ``(N, C, H, W)`` image batch.
        input_size: side of the blank input, or ``(H, W)``. A size the model
            cannot take is replaced as :func:`input_for` says.
        maps_only: leave out ``vector`` layers (logits, pooled features).

    Returns:
        A list of :class:`LayerInfo`, ordered by when each module last runs.

    Example:
        >>> import torchvision
        >>> [l.name for l in layers(torchvision.models.resnet18())][:3]
        ['conv1', 'bn1', 'relu']
        >>> layers(torchvision.models.swin_t())[-1].shape, layers(torchvision.models.swin_t())[-1].layout
        ((768, 7, 7), 'nhwc')
    """
    h, w = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    device, dtype = single_device(model), model_dtype(model)
    key = (h, w, str(device), dtype)
    cached = _CACHE.get(model, {}).get(key)
    if cached is None or not _still_present(model, cached):
        as_is = ModelInput(device, dtype, input_channels(model))
        try:
            cached = _trace(model, as_is, (h, w))
            remember_accepted(model, (h, w))
        except Exception:  # noqa: BLE001 - the size does not fit: search one that does, or explain
            cached = _trace(model, input_for(model, (h, w)), (h, w))
        _CACHE.setdefault(model, {})[key] = cached
    return [info for info in cached if info.is_map or not maps_only]


def input_for(model: nn.Module, input_size: int | tuple[int, int] = 224) -> ModelInput:
    """How pictures of ``input_size`` are fed to ``model`` (device, dtype, channels, size); see
    :mod:`~cnnwidget.engine.model_input`. ``.notes`` says what was adapted."""
    h, w = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    device, dtype, channels = single_device(model), model_dtype(model), input_channels(model)
    errors: list[BaseException] = []

    def accepts(size: tuple[int, int]) -> bool:
        try:
            _forward(model, torch.zeros(1, channels, *size, device=device, dtype=dtype))
            return True
        except Exception as err:  # noqa: BLE001 - a refused size, reported below if nothing fits
            errors.append(err)
            return False

    try:
        return model_input(model, (h, w), accepts)
    except InputSizeError as err:
        if not errors:
            raise
        mixup = next((e for e in errors if is_device_mixup(e)), None)
        if mixup is not None:
            raise DeviceError(f"{str(mixup).splitlines()[0]}: {DEVICE_MIXUP_FIX}") from mixup
        errors[0].add_note(f"cnnwidget: {err}")
        raise errors[0] from None


def _forward(model: nn.Module, x: torch.Tensor, hooks: dict | None = None) -> None:
    tracer = threading.get_ident()
    handles = []
    with preserved(model):
        try:
            for name, module in model.named_modules():
                if name and hooks is not None:
                    handles.append(module.register_forward_hook(hooks_for(name, module, hooks, tracer)))
            with torch.no_grad():
                model(x)
        finally:
            for handle in handles:
                handle.remove()


def hooks_for(name: str, module: nn.Module, found: dict, tracer: int):
    """A forward hook recording ``name``'s output shape, calls and last-call order into ``found``."""

    def hook(mod, inputs, output):
        if threading.get_ident() != tracer:  # another thread's forward pass
            return
        found["__clock__"] = found.get("__clock__", 0) + 1
        tensor = first_tensor(output)
        entry = found.setdefault(name, [type(mod).__name__, None, 0, 0, mod])
        entry[1] = tuple(tensor.shape) if tensor is not None else None
        entry[2] += 1
        entry[3] = found["__clock__"]

    return hook


def _trace(model: nn.Module, prepare: ModelInput, size: tuple[int, int]) -> list[LayerInfo]:
    h, w = prepare.size or size
    blank = lambda hh, ww: torch.zeros(1, prepare.channels, hh, ww, device=prepare.device, dtype=prepare.dtype)
    found: dict = {}
    _forward(model, blank(h, w), found)
    found.pop("__clock__", None)
    probes = []
    for hh, ww in ((h + PROBE_STEP, w), (h, w + PROBE_STEP)):
        probe: dict = {}
        try:
            _forward(model, blank(hh, ww), probe)
        except Exception:  # noqa: BLE001 - the model takes one size only: its structure decides
            probe = {}
        probes.append(probe)
    conv_grids = {
        shape[2:] for kind, shape, _, _, module in found.values()
        if isinstance(module, nn.Conv2d) and shape is not None and len(shape) == 4
    }
    for module in model.modules():  # patch embeddings that say their grid (timm's grid_size)
        declared = getattr(module, "grid_size", None)
        if isinstance(declared, (tuple, list)) and len(declared) == 2 and all(isinstance(v, int) for v in declared):
            conv_grids.add(tuple(declared))
    grids = spatial_grids(conv_grids)
    result = []
    for name, (kind, shape, calls, order, module) in found.items():
        if shape is None:
            continue
        taller, wider = (p.get(name, [None, None])[1] for p in probes)
        axis = channel_axis(module, shape) if taller is None or wider is None else None
        layout, prefix, grid = decide_layout(shape, taller=taller, wider=wider, channel_axis=axis, grids=grids)
        if layout == "other":
            continue
        channels = {"nchw": shape[1] if len(shape) == 4 else 0, "nhwc": shape[-1], "tokens": shape[-1],
                    "vector": shape[-1]}[layout]
        result.append(LayerInfo(name, kind, (channels, *grid), calls, order, layout, prefix))
    result.sort(key=lambda info: info.order)
    return result


def _still_present(model: nn.Module, cached: list[LayerInfo]) -> bool:
    names = {n for n, _ in model.named_modules()}
    return all(info.name in names for info in cached)


def find_layer(
    model: nn.Module, name: str, input_size: int | tuple[int, int] = 224, *, maps_only: bool = True
) -> LayerInfo:
    """Return the :class:`LayerInfo` called ``name``, or raise :class:`LayerError` naming close matches.

    With ``maps_only=False`` a ``vector`` layer (logits, pooled features) is found too:
    it can be maximized, as a map of one position.
    """
    catalog = layers(model, input_size, maps_only=False)
    for info in catalog:
        if info.name == name and (info.is_map or not maps_only):
            return info
    maps = [info for info in catalog if info.is_map]
    names = [info.name for info in maps]
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
    modules = dict(model.named_modules())
    if name in modules:
        vector = any(info.name == name for info in catalog)
        raise LayerError(
            f"layer {name!r} does not output an image-like (N, C, H, W), (N, H, W, C) or token tensor, so it has "
            f"no activation maps{' (it is a vector: maximize it as an objective instead)' if vector else ''}; "
            f"choose a layer such as {_deepest_map(maps)!r}"
            if names
            else f"layer {name!r} has no image-like output"
        )
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else (
        f"valid names include {', '.join(repr(n) for n in names[:3])} ... {names[-1]!r}" if names else ""
    )
    raise LayerError(f"unknown layer {name!r}; {hint} (list them all with cnnwidget.layers(model))")


def capture_for(
    model: nn.Module, names, input_size: int | tuple[int, int], *, maps_only: bool = True, **kwargs
) -> LayerCapture:
    """A :class:`~cnnwidget.engine.capture.LayerCapture` of ``names`` that returns canonical
    ``(N, C, H, W)`` maps and feeds the model pictures of ``input_size`` as it needs them
    (device, dtype, channels, size; see :func:`input_for`). Extra keyword arguments go to it."""
    names = list(dict.fromkeys(names))
    # "" is the model itself: its output (logits) is captured as it comes, once per forward pass.
    infos = [find_layer(model, n, input_size, maps_only=maps_only) for n in names if n != ""]
    calls = {i.name: i.calls for i in infos} | ({"": 1} if "" in names else {})
    return LayerCapture(
        model, names, calls=calls, layouts={i.name: i.layout_spec for i in infos}, prepare=_Preparer(model), **kwargs,
    )


class _Preparer:
    """``x -> input_for(model, size of x)(x)``, remembering the fit of each size it has seen."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.fits: dict[tuple[int, int], ModelInput] = {}

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        size = tuple(x.shape[-2:])
        fit = self.fits.get(size)
        if fit is None:
            fit = self.fits[size] = input_for(self.model, size)
        return fit(x)


def _deepest_map(catalog: list[LayerInfo]) -> str:
    spatial = [info.name for info in catalog if info.shape[1] > 1 or info.shape[2] > 1]
    return (spatial or [info.name for info in catalog])[-1]
