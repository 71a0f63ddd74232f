"""Feature accentuation: what in this photo drives the unit, made visible in the photo itself.

Hamblin, Fel, Saha, Konkle and Alvarez ("Feature Accentuation: Revealing 'What'
Features Respond to in Natural Images", 2024) start the optimization from a
real photo and keep the result close to it, instead of drawing from noise.
The picture that comes out is the photo, changed just where and how the unit
wants it changed.

Here the change is a smooth Fourier-parameterized picture ``delta`` added to the
photo. Two things keep the result near the photo:

- a hard bound: every pixel stays within ``budget`` of the photo's value
  (``delta = budget * (2 * sigmoid(...) - 1)``);
- a closeness term in the loss: ``closeness * mean(delta**2) / budget**2``,
  against the unit's value divided by its scale on the photo, so the unit
  pays for every change it asks for.

Random views (the standard jitter, scale and rotation) make the change robust
rather than an adversarial pattern.
"""

from __future__ import annotations

import math
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable

import torch
from PIL import Image
from torch import nn

from .images import load_image
from .layer_catalog import capture_for, find_layer, input_for
from .model_guard import preserved
from .model_input import InputNote
from .normalizer import pixel_normalizer
from .objectives import as_objective
from .parameterization import FourierImage
from .placement import model_device, model_dtype
from .precision import autocast_context, resolve_precision
from .preprocessing import Preprocess, to_pil, to_tensor
from .relu_redirect import redirected_relus
from .transforms import resolve_transforms

DEFAULT_BUDGET = 0.25
"""Largest change of any pixel channel (pixels in [0, 1]) that :func:`accentuate` allows by default."""


@dataclass
class Accentuation:
    """The result of :func:`accentuate`.

    Attributes:
        image: the accentuated photo (PIL, ``size`` x ``size``).
        photo: the photo as the model saw it (resized and centre-cropped, PIL).
        before: the unit's value on the photo.
        after: the unit's value on the accentuated photo.
        max_change: the largest change of any pixel channel (at most the budget).
        rms_change: the root-mean-square change over all pixel channels.
    """

    image: Image.Image
    photo: Image.Image
    before: float
    after: float
    max_change: float
    rms_change: float

    def _repr_png_(self) -> bytes:  # shown as the picture in Jupyter
        import io

        buffer = io.BytesIO()
        self.image.save(buffer, format="PNG")
        return buffer.getvalue()


def accentuate(
    model: nn.Module,
    image,
    unit,
    *,
    steps: int = 64,
    size: int = 224,
    budget: float = DEFAULT_BUDGET,
    closeness: float = 1.0,
    lr: float = 0.25,
    transforms="standard",
    seed: int = 0,
    preprocess=None,
    precision: str = "auto",
    cancel=None,
    callback: Callable[[int, torch.Tensor, float], None] | None = None,
) -> Accentuation:
    """Change ``image`` a little so that ``unit`` fires more; return the changed photo.

    Args:
        model: the network (left exactly as found); transformers and channels-last layers
            work as in :func:`cnnwidget.maximize`, and pictures are fitted to the model's input
            (size, channels, device), each choice announced as an ``InputNote`` warning.
        image: the photo (path, PIL, array, tensor; see :func:`cnnwidget.load_image`),
            resized and centre-cropped to ``size``.
        unit: what to accentuate: ``"layer3.1:5"`` (a channel), ``"layer3.1:5@7,7"``
            (a neuron) or any objective :func:`cnnwidget.maximize` accepts.
        steps: optimization steps (Adam, short warm-up, cosine decay).
        size: side of the picture in pixels.
        budget: no pixel channel moves further than this from the photo (pixels in [0, 1]).
        closeness: weight of the term keeping the result near the photo (0: only the bound).
        lr: Adam's peak learning rate on the change's Fourier parameters.
        transforms: random views as in :func:`cnnwidget.maximize` (``"standard"``, ``"none"``, a list).
        seed: makes the result repeatable.
        preprocess: the model's normalization (defaults as in :func:`cnnwidget.activations`).
        precision: ``"auto"``, ``"float32"`` or ``"bfloat16"``.
        cancel: a ``threading.Event``; once set, the loop stops and the current picture is returned.
        callback: ``callback(step, pixels, value)`` after every step, with the
            ``(1, 3, size, size)`` picture that step evaluated (detached) and the
            unit's value on its random view.

    Returns:
        An :class:`Accentuation` (``.image``, ``.before``, ``.after``, ...).

    Example:
        >>> out = cnnwidget.accentuate(model, cnnwidget.sample("chelsea"), "layer3.1:5")  # doctest: +SKIP
        >>> out.image.save("accentuated.png"); out.before, out.after
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}; pass the model itself")
    if not 0 < budget <= 1:
        raise ValueError(f"budget is the largest pixel change, in (0, 1]; got {budget}")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if closeness < 0:
        raise ValueError(f"closeness must be 0 or more, got {closeness}")
    objective = as_objective(unit)
    infos = [find_layer(model, name, size, maps_only=False) for name in objective.layers]
    objective.check({info.name: info.shape for info in infos})
    for note in input_for(model, size).notes:
        warnings.warn(note, InputNote, stacklevel=2)
    device, dtype = model_device(model), model_dtype(model)
    precision = resolve_precision(precision, device)
    normalize = pixel_normalizer(preprocess, model)
    transform = resolve_transforms(transforms)
    generator = torch.Generator().manual_seed(int(seed))
    photo_image = Preprocess(size=size).crop(load_image(image))
    photo = to_tensor(photo_image)[None].to(device)
    change = FourierImage(1, size, size, decorrelate=True, sd=0.01, generator=generator, device=device)
    optimizer = torch.optim.Adam(change.params, lr=lr)
    redirect_steps = max(1, steps // 4)

    def picture() -> tuple[torch.Tensor, torch.Tensor]:
        delta = budget * (2 * change() - 1)
        return (photo + delta).clamp(0, 1), delta

    with preserved(model, freeze=True), capture_for(model, objective.layers, size, maps_only=False) as capture:

        def value(pixels: torch.Tensor, view: bool) -> torch.Tensor:
            x = transform(pixels, generator) if view else pixels
            if tuple(x.shape[-2:]) != (size, size):
                x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
            with autocast_context(precision, device):
                return objective(capture.run(normalize(x).to(dtype))).float().sum()

        with torch.no_grad():
            before = float(value(photo, view=False))
        scale = max(abs(before), 1e-3)
        for step in range(1, steps + 1):
            if cancel is not None and cancel.is_set():
                break
            for group in optimizer.param_groups:
                group["lr"] = _cosine(lr, step, steps)
            pixels, delta = picture()
            with redirected_relus() if step <= redirect_steps else nullcontext():
                gain = value(pixels, view=True) / scale
            loss = -gain + closeness * delta.pow(2).mean() / budget**2
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if callback is not None:
                callback(step, pixels.detach(), float(gain.detach()) * scale)
        with torch.no_grad():
            pixels, _ = picture()
            result = to_pil(pixels[0].float().cpu())
            saved = to_tensor(result)[None].to(device)  # judged as the 8-bit picture it returns
            after = float(value(saved, view=False))
    diff = saved.cpu() - photo.cpu()
    return Accentuation(
        image=result, photo=photo_image, before=before, after=after,
        max_change=float(diff.abs().max()), rms_change=float(diff.pow(2).mean().sqrt()),
    )


def _cosine(lr: float, step: int, steps: int) -> float:
    warmup = max(1, steps // 16)
    if step <= warmup:
        return lr * step / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


__all__ = ["Accentuation", "DEFAULT_BUDGET", "accentuate"]
