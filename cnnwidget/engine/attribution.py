"""Why the network decides what it does: attribution maps through Captum.

:func:`attribute` explains one *target* (a class, a unit, or any objective)
for one picture with one of four methods, all computed by Captum
(https://captum.ai), the maintained PyTorch attribution library:

==========================  =====================================================
``"gradcam"``               Grad-CAM (Selvaraju et al. 2017): a layer's maps weighted
                            by the mean gradient of the target, positive part
``"integrated_gradients"``  Integrated Gradients (Sundararajan et al. 2017) from a
                            black picture, magnitude summed over colours
``"guided_backprop"``       Guided Backpropagation (Springenberg et al. 2015),
                            magnitude summed over colours
``"occlusion"``             Occlusion (Zeiler & Fergus 2014): how much the target
                            drops when a grey square hides each region
==========================  =====================================================

Every map is ``float32 (H, W)`` in [0, 1] at the picture's resolution, 1 where
the evidence is strongest. Any layout works (see :mod:`~cnnwidget.engine.layouts`):
pictures are fitted to the model as everywhere (a ViT's fixed size, channels,
device), and Grad-CAM on a token or channels-last layer weights its canonical
``(C, H, W)`` maps, the patch tokens on their grid without the class and
register tokens. Guided Backprop changes ReLU gradients only: on a GELU
transformer it gives the plain gradient. The methods do not all pass the model-parameter
randomization check of Adebayo et al. (2018); :data:`SANITY` records which do,
as measured by ``tests/engine/test_attribution_sanity.py`` (figures in
``docs/attribution.md``).

The model is left exactly as found (see :mod:`~cnnwidget.engine.model_guard`),
also when a method raises or is cancelled.
"""

from __future__ import annotations

import math
import threading
import warnings
import weakref
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .cancellable_forward import CancellableForward, Cancelled
from .images import load_image
from .layer_catalog import capture_for, find_layer, layers
from .model_guard import preserved
from .normalizer import pixel_normalizer
from .objective_plan import objective_plan
from .objectives import OUTPUT, Objective, as_objective, channel, class_logit
from .out_of_place import out_of_place
from .placement import model_device, model_dtype
from .predictions import class_scores
from .preprocessing import display_crop, resolve_preprocess, to_tensor

METHODS = ("gradcam", "integrated_gradients", "guided_backprop", "occlusion")
"""The attribution methods, in the order the widget lists them."""

METHOD_LABELS = {
    "gradcam": "Grad-CAM",
    "integrated_gradients": "Integrated Gradients",
    "guided_backprop": "Guided Backprop",
    "occlusion": "Occlusion",
}
"""Readable name of each method."""

SANITY = {
    "gradcam": True,
    "integrated_gradients": True,
    "guided_backprop": False,
    "occlusion": True,
}
"""Whether each method passes the model-parameter randomization check (Adebayo et al. 2018):
its map changes clearly when the trained weights are replaced by random ones. Verified on
the default model by ``tests/engine/test_attribution_sanity.py``."""

_ALIASES = {
    "grad-cam": "gradcam", "grad_cam": "gradcam", "ig": "integrated_gradients",
    "integrated-gradients": "integrated_gradients", "gbp": "guided_backprop",
    "guided-backprop": "guided_backprop",
}

IG_STEPS = 32
"""Integrated Gradients' default number of steps along the path from black to the picture."""

IG_BATCH = 8
"""Path points evaluated per forward pass by Integrated Gradients."""

OCCLUSIONS_PER_PASS = 16
"""Occluded copies of the picture evaluated per forward pass."""


def attribute(
    model: nn.Module,
    image,
    target,
    method: str = "gradcam",
    *,
    preprocess=None,
    layer: str | None = None,
    steps: int = IG_STEPS,
    window: int | None = None,
    stride: int | None = None,
    cancel: threading.Event | None = None,
    callback: Callable[[int, int], None] | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Where in ``image`` the evidence for ``target`` lies, by ``method``.

    Args:
        model: the network (left exactly as found).
        image: a PIL image, path, ``(H, W, 3)`` array or ``(3, H, W)`` tensor; it is
            cropped and resized as the model expects (see ``preprocess``).
        target: a class index (``207``), a unit ``("layer3", 5)``, a shorthand
            (``"logits:207"``, ``"layer3:5"``) or any
            :class:`~cnnwidget.engine.objectives.Objective`.
        method: one of :data:`METHODS` (``"ig"`` and ``"gbp"`` are accepted too).
        preprocess: as in :func:`cnnwidget.activations` (the model's own by default).
        layer: Grad-CAM only: the layer whose maps are weighted (default: for a
            class, the last layer with a spatial map; for a unit, the last layer
            before it with a finer map, see :func:`gradcam_layer`).
        steps: Integrated Gradients only: points on the path from black.
        window, stride: Occlusion only: side of the grey square (default 1/8 of the
            picture) and its step (default half the window).
        cancel: a ``threading.Event``; once set, the method stops at its next
            forward pass and raises :class:`Cancelled`.
        callback: ``callback(done, total)`` after each forward pass.
        progress: show a tqdm progress bar.

    Returns:
        ``float32 (H, W)`` map in [0, 1] (all zeros when nothing in the picture
        raises the target).

    Raises:
        ValueError: an unknown method or target; the message lists the choices.
        Cancelled: ``cancel`` was set.

    Example:
        >>> heat = cnnwidget.attribute(model, "cat.jpg", 281, method="occlusion")   # doctest: +SKIP
    """
    pixels = to_tensor(display_crop(load_image(image), resolve_preprocess(preprocess, model)))[None]
    bar = _progress_bar(progress, method)
    report = callback
    if bar is not None:
        def report(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()
            if callback is not None:
                callback(done, total)
    try:
        return attribution_map(
            model, pixels, target, method, normalize=pixel_normalizer(preprocess, model), layer=layer,
            steps=steps, window=window, stride=stride, cancel=cancel, callback=report,
        )
    finally:
        if bar is not None:
            bar.close()


def attribution_map(
    model: nn.Module,
    pixels: torch.Tensor,
    target,
    method: str = "gradcam",
    *,
    normalize: Callable[[torch.Tensor], torch.Tensor] = lambda x: x,
    layer: str | None = None,
    steps: int = IG_STEPS,
    window: int | None = None,
    stride: int | None = None,
    cancel: threading.Event | None = None,
    callback: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """:func:`attribute` for a ready ``(1, 3, H, W)`` batch; ``normalize`` maps it to the model's input."""
    method = method_name(method)
    objective = target_objective(target)
    if pixels.dim() != 4 or pixels.shape[0] != 1:
        raise ValueError(f"expected one picture shaped (1, 3, H, W), got {tuple(pixels.shape)}")
    size = tuple(pixels.shape[-2:])
    calls = objective_plan(model, [objective], size[0])
    source = gradcam_layer(model, objective, size, layer) if method == "gradcam" else None
    device, dtype = model_device(model), model_dtype(model)
    pixels = pixels.detach().to(device=device, dtype=torch.float32).requires_grad_(True)
    lens = _MapsLens(model, source, size) if source is not None else None
    names = list(calls) + ([source] if source is not None and source not in calls else [])
    with preserved(model, freeze=True), out_of_place(model), torch.enable_grad(), capture_for(
        model, names, size, maps_only=False, edit=lens.edit if lens is not None else None
    ) as capture:

        def score(p: torch.Tensor) -> torch.Tensor:
            return objective(capture.run(normalize(p).to(dtype)))

        forward = CancellableForward(
            score, cancel=cancel, callback=callback, total=_passes(method, size, steps, window, stride)
        )
        forward.check()
        try:
            raw = _RUNNERS[method](model, forward, pixels, lens=lens, steps=steps, window=window, stride=stride)
        except RuntimeError as err:
            if "does not require grad" not in str(err) and "not have been used in the graph" not in str(err):
                raise
            raw = torch.zeros(size)  # the target does not depend on the picture
        forward.finish()
    return _unit_range(raw)


def target_objective(target) -> Objective:
    """The objective an attribution target stands for (see :func:`attribute`)."""
    if isinstance(target, bool):
        raise ValueError("a target is a class index, a (layer, channel) pair or an objective, not a bool")
    if isinstance(target, (int, np.integer)):
        return class_logit(int(target))
    if isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], str):
        return channel(target[0], int(target[1]))
    try:
        return as_objective(target)
    except ValueError as err:
        raise ValueError(
            f"cannot attribute to {target!r}: give a class index (207), a unit ('layer3', 5), "
            f"a shorthand ('logits:207', 'layer3:5') or an objective ({err})"
        ) from None


def method_name(method: str) -> str:
    """The canonical name of ``method`` (accepts the aliases ``"ig"``, ``"gbp"``, ``"grad-cam"``)."""
    key = _ALIASES.get(str(method).lower(), str(method).lower())
    if key not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; choose one of {', '.join(METHODS)}")
    return key


def gradcam_layer(model: nn.Module, objective: Objective, size: tuple[int, int], layer: str | None = None) -> str:
    """The layer Grad-CAM weights for ``objective``.

    For a class (the model's output), the last layer with a spatial map; for a
    unit, the last layer before the unit's with a finer map (Grad-CAM on the
    unit's own layer would only return its map). Only layers that run once per
    forward pass qualify.
    """
    if layer is not None:
        info = find_layer(model, layer, size)
        if info.calls != 1:
            raise ValueError(
                f"layer {layer!r} runs {info.calls} times per forward pass, so Grad-CAM cannot read "
                "one map from it; choose a layer that runs once"
            )
        return info.name
    catalog = [i for i in layers(model, size) if i.calls == 1]
    read = [find_layer(model, n, size) for n in objective.layers if n != OUTPUT]
    if read:
        deepest = max(read, key=lambda i: i.order)
        finer = [i for i in catalog if i.order < deepest.order and i.shape[1] > deepest.shape[1]]
        return finer[-1].name if finer else deepest.name
    spatial = [i for i in catalog if i.shape[1] > 1 or i.shape[2] > 1] or catalog
    if not spatial:
        raise ValueError("the model has no layer with an image-like output for Grad-CAM; use another method")
    if spatial[-1].layout == "tokens" and spatial[-1].prefix > 0:
        same_width = [i for i in spatial if i.channels == spatial[-1].channels]  # the residual stream
        return _last_patch_tokens_the_output_reads(model, same_width, size)
    return spatial[-1].name


def _last_patch_tokens_the_output_reads(model: nn.Module, catalog: list, size: tuple[int, int]) -> str:
    """The deepest layer whose patch tokens the model's output depends on.

    A vision transformer that classifies from its class token reads the patch
    tokens only through attention: after the last block they carry no gradient,
    so Grad-CAM there is blank. One forward and backward pass on a seeded noise
    picture finds the deepest layer whose maps still reach the output (the
    deepest layer when none does, e.g. a head initialized to zeros). Found once per
    model and input size.
    """
    key = (tuple(size), tuple(info.name for info in catalog))
    known = _CLASS_SOURCES.get(model, {}).get(key)
    if known is not None:
        return known
    found_name = _probe_patch_tokens(model, catalog, size)
    _CLASS_SOURCES.setdefault(model, {})[key] = found_name
    return found_name


_CLASS_SOURCES: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()


def _probe_patch_tokens(model: nn.Module, catalog: list, size: tuple[int, int]) -> str:
    raw: dict[str, torch.Tensor] = {}

    def keep(name: str, tensor: torch.Tensor) -> torch.Tensor:
        raw[name] = tensor
        return tensor

    noise = torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    names = [info.name for info in catalog]
    with preserved(model, freeze=True), out_of_place(model), torch.enable_grad(), capture_for(
        model, names + [OUTPUT], size, edit=keep
    ) as capture:
        score = class_scores(capture.run(noise)[OUTPUT]).sum()
        found = [n for n in names if n in raw and raw[n].requires_grad]
        grads = torch.autograd.grad(score, [raw[n] for n in found], allow_unused=True) if score.requires_grad else []
    by_name = {info.name: info for info in catalog}
    for name, grad in reversed(list(zip(found, grads))):
        layout = by_name[name].layout_spec
        if grad is not None and bool(layout.maps(grad).abs().sum() > 0):
            return name
    return catalog[-1].name


def source_layer(model: nn.Module, layer: str, input_size: tuple[int, int]) -> str:
    """The layer Grad-CAM reads for a unit of ``layer``: the last one before it with a larger map."""
    return gradcam_layer(model, channel(layer, 0), input_size)


def unit_gradcam(
    model: nn.Module, x: torch.Tensor, layer: str, channel_index: int, *, source: str | None = None
) -> np.ndarray:
    """Grad-CAM map of unit ``(layer, channel_index)`` for the preprocessed batch ``x`` (one image).

    Returns ``float32 (H, W)`` in [0, 1] at the input's resolution (zeros when the
    unit does not respond to anything in the picture).
    """
    return attribution_map(model, x, (layer, channel_index), "gradcam", layer=source)


# --------------------------------------------------------------------------- the methods


class _AsModule(nn.Module):
    """A forward function as a module holding the user's model (Guided Backprop hooks its ReLUs)."""

    def __init__(self, model: nn.Module, forward: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.model = model
        self._forward = forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._forward(x)


class _MapsLens(nn.Module):
    """What Grad-CAM hooks: the source layer's output as canonical ``(N, C, H, W)`` maps.

    A convolutional (``nchw``) layer is hooked as it is. For a channels-last or
    token layer, the capture's ``edit`` passes the layer's output through this
    identity module as maps (:meth:`LayerLayout.maps`: patch tokens on their
    grid, class / distillation / register tokens left out) and puts the result
    back in the layer's own layout (:meth:`LayerLayout.unmaps`) before it flows
    on, so Captum's activations and gradients are ``(N, C, H, W)``.
    """

    def __init__(self, model: nn.Module, source: str, size: tuple[int, int]):
        super().__init__()
        self.source = source
        self.layout = find_layer(model, source, size).layout_spec
        # Kept out of the module tree: the lens never owns the user's module, nor itself.
        self.__dict__["target"] = dict(model.named_modules())[source] if self.layout.kind == "nchw" else self

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        return maps

    def edit(self, name: str, output: torch.Tensor) -> torch.Tensor:
        """The capture's edit: the source's output through the lens (other layers untouched)."""
        if name != self.source or self.target is not self:
            return output
        return self.layout.unmaps(self(self.layout.maps(output)), output)


def _gradcam(model, forward, pixels, *, lens, **_) -> torch.Tensor:
    from captum.attr import LayerGradCam

    cam = LayerGradCam(forward, lens.target).attribute(pixels, relu_attributions=True)
    cam = cam.detach().float().sum(1, keepdim=True)
    return F.interpolate(cam, size=pixels.shape[-2:], mode="bilinear", align_corners=False)[0, 0]


def _integrated_gradients(model, forward, pixels, *, steps, **_) -> torch.Tensor:
    from captum.attr import IntegratedGradients

    attr = IntegratedGradients(forward).attribute(
        pixels, baselines=0.0, n_steps=int(steps), internal_batch_size=IG_BATCH
    )
    return attr.detach().float()[0].abs().sum(0)


def _guided_backprop(model, forward, pixels, **_) -> torch.Tensor:
    from captum.attr import GuidedBackprop

    with warnings.catch_warnings():  # Captum announces the ReLU hooks it sets (and removes)
        warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU")
        attr = GuidedBackprop(_AsModule(model, forward)).attribute(pixels)
    return attr.detach().float()[0].abs().sum(0)


def _occlusion(model, forward, pixels, *, window, stride, **_) -> torch.Tensor:
    from captum.attr import Occlusion

    window, stride = _occlusion_geometry(tuple(pixels.shape[-2:]), window, stride)
    attr = Occlusion(forward).attribute(
        pixels, sliding_window_shapes=(3, window, window), strides=(3, stride, stride),
        baselines=0.5, perturbations_per_eval=OCCLUSIONS_PER_PASS,
    )
    return attr.detach().float()[0].mean(0).clamp(min=0)


_RUNNERS = {
    "gradcam": _gradcam,
    "integrated_gradients": _integrated_gradients,
    "guided_backprop": _guided_backprop,
    "occlusion": _occlusion,
}


def _occlusion_geometry(size: tuple[int, int], window: int | None, stride: int | None) -> tuple[int, int]:
    window = int(window) if window is not None else max(4, min(size) // 8)
    stride = int(stride) if stride is not None else max(1, window // 2)
    if not 1 <= window <= min(size) or stride < 1:
        raise ValueError(f"occlusion window must be 1..{min(size)} px and stride at least 1; got {window}, {stride}")
    return window, stride


def _passes(method: str, size: tuple[int, int], steps: int, window, stride) -> int:
    """Forward passes a method makes on one picture (for progress)."""
    if method == "integrated_gradients":
        if int(steps) < 1:
            raise ValueError(f"steps must be at least 1, got {steps}")
        return math.ceil(int(steps) / IG_BATCH)
    if method == "occlusion":
        window, stride = _occlusion_geometry(size, window, stride)
        count = math.prod(math.ceil((s - window) / stride) + 1 for s in size)
        return 1 + math.ceil(count / OCCLUSIONS_PER_PASS)
    return 1


def _unit_range(raw: torch.Tensor) -> np.ndarray:
    raw = torch.nan_to_num(raw.float().cpu(), nan=0.0)
    top = float(raw.max())
    if top <= 0:
        return np.zeros(tuple(raw.shape), dtype=np.float32)
    return (raw.clamp(min=0) / top).numpy().astype(np.float32)


def _progress_bar(progress: bool, method: str):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=1, desc=f"attribute ({method})", leave=False)


__all__ = [
    "Cancelled", "IG_STEPS", "METHODS", "METHOD_LABELS", "SANITY", "attribute", "attribution_map",
    "gradcam_layer", "method_name", "source_layer", "target_objective", "unit_gradcam",
]
