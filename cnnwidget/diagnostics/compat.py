"""Does cnnwidget work on this model? One call runs every engine operation and checks integrity."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..engine.activations import activations
from ..engine.deepdream import deepdream
from .fingerprint import model_state, state_differences
from ..engine.layer_catalog import layers as layer_catalog
from ..engine.maximize import maximize


@dataclass
class CompatReport:
    """Outcome of :func:`check_model`.

    Attributes:
        ok: every operation worked and the model was left exactly as found.
        layers: number of layers with image-like outputs.
        layer: the middle layer that was exercised.
        failures: ``{operation: message}`` for each operation that raised.
        changed: state entries that differ after the checks (should be empty).
        seconds: wall time of the checks.
        input_size: the input side the checks ran at.
        layout: the exercised layer's layout (``nchw``, ``nhwc``, ``tokens``).
        layouts: how many listed layers have each layout.
    """

    ok: bool = False
    layers: int = 0
    layer: str = ""
    failures: dict[str, str] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    input_size: int = 0
    layout: str = ""
    layouts: dict[str, int] = field(default_factory=dict)


def check_model(model: nn.Module, input_size: int = 128) -> CompatReport:
    """Run ``layers``, ``activations`` on a middle layer, a 2-step ``maximize`` and a 1-octave ``deepdream``.

    Also checks that the grid's channel count (the first axis of the activations)
    is the layer's real channel count: the size of the axis that the module's own
    weights act on (a ``Conv2d``'s ``out_channels``, a ``LayerNorm``'s
    ``normalized_shape``...), for every listed layer that has such weights.

    The checks run at ``input_size``, or at the first of :func:`input_sizes` that the
    model accepts (``report.input_size`` says which).

    Each operation's exception is recorded (not raised), and the model's complete
    state (parameters, buffers, every ``training`` flag, ``requires_grad``, grads
    and hook dictionaries) is compared before and after.

    Example:
        >>> report = check_model(torchvision.models.resnet18())   # doctest: +SKIP
        >>> report.ok, report.failures
        (True, {})
    """
    start = time.perf_counter()
    report = CompatReport()
    before = model_state(model)
    catalog = []
    for size in input_sizes(model, input_size):
        try:
            catalog = layer_catalog(model, size)
        except Exception as err:  # noqa: BLE001 - reported, not raised
            report.failures.setdefault("layers", _describe(err))
            continue
        report.failures.pop("layers", None)
        input_size = size
        break
    photo = np.random.default_rng(0).integers(0, 255, (input_size, input_size, 3), dtype=np.uint8)
    report.layers = len(catalog)
    if catalog:
        middle = catalog[len(catalog) // 2]
        report.layer = middle.name
        from ..engine.preprocessing import Preprocess

        for info in catalog:
            report.layouts[info.layout] = report.layouts.get(info.layout, 0) + 1
        report.layout = middle.layout
        wrong = _wrong_channel_counts(model, catalog)
        if wrong:
            report.failures["channels"] = "grid channels differ from the layer's own: " + ", ".join(wrong[:3])

        def grid():
            acts = activations(model, photo, middle.name, preprocess=Preprocess(size=input_size))
            if acts.shape[0] != middle.channels:
                raise AssertionError(f"grid of {middle.name} has {acts.shape[0]} channels, the layer {middle.channels}")

        steps = {
            "activations": grid,
            "maximize": lambda: maximize(model, f"{middle.name}:0", steps=2, size=input_size, seed=0, progress=False),
            "deepdream": lambda: deepdream(model, photo, layers=middle.name, octaves=1, steps=1, seed=0, progress=False),
        }
        for name, run in steps.items():
            try:
                run()
            except Exception as err:  # noqa: BLE001 - reported, not raised
                report.failures[name] = _describe(err)
    elif "layers" not in report.failures:
        report.failures["layers"] = "no layer with an image-like (N, C, H, W) output"
    report.input_size = input_size
    report.changed = state_differences(before, model_state(model))
    report.ok = not report.failures and not report.changed
    report.seconds = time.perf_counter() - start
    return report


def input_sizes(model: nn.Module, preferred: int) -> list[int]:
    """Input sides to try, in order: ``preferred``, the model's own (timm's ``pretrained_cfg``), 224, 320.

    Some networks only accept their native size (attention blocks with fixed
    positions) or a minimum one (SSD300's extra layers shrink a 128 px input away).
    """
    own = (getattr(model, "pretrained_cfg", None) or {}).get("input_size")
    sizes = [preferred, own[-1] if own else None, 224, 320]
    return list(dict.fromkeys(s for s in sizes if s))


def _wrong_channel_counts(model: nn.Module, catalog) -> list[str]:
    """Layers whose listed channel count is not the one their own last weighted submodule produces."""
    modules = dict(model.named_modules())
    wrong = []
    for info in catalog:
        own = _own_channels(modules[info.name])
        if own is not None and own != info.channels:
            wrong.append(f"{info.name} ({info.layout}: {info.channels} listed, {own} real)")
    return wrong


def _own_channels(module: nn.Module) -> int | None:
    """Output channels of a module that is itself a convolution, batch norm, layer norm or linear layer."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        return module.out_channels
    if isinstance(module, nn.BatchNorm2d):
        return module.num_features
    if isinstance(module, nn.Linear):
        return module.out_features
    if isinstance(module, nn.LayerNorm) and len(module.normalized_shape) == 1:
        return module.normalized_shape[0]
    return None


def _describe(err: BaseException) -> str:
    where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
    place = f" (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})" if where else ""
    return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}{place}"
