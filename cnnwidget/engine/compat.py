"""Does cnnwidget work on this model? One call runs every engine operation and checks integrity."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .activations import activations
from .deepdream import deepdream
from .fingerprint import model_state, state_differences
from .layer_catalog import layers as layer_catalog
from .maximize import maximize


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
    """

    ok: bool = False
    layers: int = 0
    layer: str = ""
    failures: dict[str, str] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def check_model(model: nn.Module, input_size: int = 128) -> CompatReport:
    """Run ``layers``, ``activations`` on a middle layer, a 2-step ``maximize`` and a 1-octave ``deepdream``.

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
    photo = np.random.default_rng(0).integers(0, 255, (input_size, input_size, 3), dtype=np.uint8)
    try:
        catalog = layer_catalog(model, input_size)
    except Exception as err:  # noqa: BLE001 - reported, not raised
        report.failures["layers"] = _describe(err)
        catalog = []
    report.layers = len(catalog)
    if catalog:
        middle = catalog[len(catalog) // 2]
        report.layer = middle.name
        from .preprocessing import Preprocess

        steps = {
            "activations": lambda: activations(model, photo, middle.name, preprocess=Preprocess(size=input_size)),
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
    report.changed = state_differences(before, model_state(model))
    report.ok = not report.failures and not report.changed
    report.seconds = time.perf_counter() - start
    return report


def _describe(err: BaseException) -> str:
    where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
    place = f" (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})" if where else ""
    return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}{place}"
