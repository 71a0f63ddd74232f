"""\"Make it say X\": a targeted adversarial example within an L-infinity budget.

Projected gradient descent (Madry et al. 2018) changes every pixel by at most
``eps`` so that the model reads the picture as the chosen class. The attack is
Captum's :class:`captum.robust.PGD` (a targeted attack on the cross-entropy of
the model's scores); this module only prepares the picture, watches each step
(progress, cancellation, stopping once the target is reached) and reports.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from .cancellable_forward import CancellableForward
from .class_names import class_names
from .images import load_image
from .model_guard import preserved
from .normalizer import pixel_normalizer
from .out_of_place import out_of_place
from .placement import model_device, model_dtype
from .predictions import Prediction, class_scores, top_predictions
from .preprocessing import display_crop, resolve_preprocess, to_pil, to_tensor

DEFAULT_EPS = 8 / 255
"""The usual L-infinity budget on [0, 1] pixels: 8 grey levels."""

DEFAULT_STEPS = 40
"""PGD steps at most (the attack stops earlier once the target is on top)."""


@dataclass
class Adversarial:
    """What :func:`adversarial` found.

    Attributes:
        image: the perturbed picture (PIL, 8-bit).
        pixels: ``(3, H, W)`` the same picture in [0, 1], on the 256 levels of an 8-bit image:
            saved as a PNG it is still read as ``target``.
        perturbation: ``(3, H, W)`` change, each value within ``[-eps, eps]``.
        predictions: the new top-k :class:`~cnnwidget.engine.predictions.Prediction` list.
        before: the original picture's top-k.
        target: the class asked for.
        reached: whether the target is now the top class.
        steps: PGD steps taken (fewer than asked when the target was reached early).
        eps: the budget.
    """

    image: Image.Image
    pixels: torch.Tensor
    perturbation: torch.Tensor
    predictions: list[Prediction]
    before: list[Prediction]
    target: int
    reached: bool
    steps: int
    eps: float

    def perturbation_image(self) -> tuple[Image.Image, float]:
        """The perturbation amplified to fill [0, 1] around grey, and the factor it was amplified by."""
        reach = float(self.perturbation.abs().max())
        gain = 0.5 / reach if reach > 0 else 1.0
        return to_pil(0.5 + gain * self.perturbation), gain


def _eight_bit(pixels: torch.Tensor) -> torch.Tensor:
    """``pixels`` rounded to the 256 grey levels of a saved picture.

    The photo's own pixels and the budget's bounds (``k/255``) lie on those levels, so
    rounding keeps every change within the budget.
    """
    return (pixels.detach() * 255).round() / 255


class _Reached(Exception):
    """Raised inside the attack's loop once the picture it evaluates shows the target on top."""


def adversarial(
    model: nn.Module,
    image,
    target: int,
    *,
    eps: float = DEFAULT_EPS,
    steps: int = DEFAULT_STEPS,
    step_size: float | None = None,
    preprocess=None,
    k: int = 5,
    stop_when_reached: bool = True,
    cancel: threading.Event | None = None,
    callback: Callable[[int, int], None] | None = None,
) -> Adversarial:
    """Perturb ``image`` within ``eps`` (L-infinity, on [0, 1] pixels) until the model says ``target``.

    Args:
        model: a classifier (left exactly as found).
        image: a PIL image, path, array or tensor; cropped and resized as the model expects.
        target: the class index to reach.
        eps: the budget: no pixel value changes by more than this (default 8/255).
        steps: PGD steps at most.
        step_size: the change per step (default ``2.5 * eps / steps``, Madry et al.'s choice).
        preprocess: as in :func:`cnnwidget.activations` (the model's own by default).
        k: rows in the reported top-k lists.
        stop_when_reached: stop at the first step whose picture, rounded to 8 bits, has
            ``target`` on top.
        cancel: a ``threading.Event``; once set, the attack stops at its next step and
            raises :class:`~cnnwidget.engine.cancellable_forward.Cancelled`.
        callback: ``callback(step, steps)`` after each step.

    Returns:
        An :class:`Adversarial` with the picture, the perturbation, the new top-k and the steps.

    Example:
        >>> adv = cnnwidget.adversarial(model, "cat.jpg", 207)   # doctest: +SKIP
        >>> adv.reached, adv.steps, adv.predictions[0].name
        (True, 9, 'golden retriever')
    """
    from captum.robust import PGD

    if not 0 < float(eps) <= 1:
        raise ValueError(f"eps is a budget on [0, 1] pixels: give a number in (0, 1], e.g. 8/255; got {eps}")
    if int(steps) < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    pixels = to_tensor(display_crop(load_image(image), resolve_preprocess(preprocess, model)))[None]
    normalize = pixel_normalizer(preprocess, model)
    device, dtype = model_device(model), model_dtype(model)
    pixels = pixels.to(device)
    step_size = 2.5 * eps / steps if step_size is None else float(step_size)
    found: dict[str, torch.Tensor] = {}

    def scores(p: torch.Tensor) -> torch.Tensor:
        return class_scores(model(normalize(p).to(dtype)))

    with preserved(model, freeze=True), out_of_place(model):
        with torch.no_grad():
            start = scores(pixels)[0]
        count = start.numel()
        if not 0 <= int(target) < count:
            raise ValueError(f"target class {target} is out of range: the model has {count} classes; use 0..{count - 1}")
        target = int(target)

        def watched(p: torch.Tensor) -> torch.Tensor:
            out = scores(p)
            if stop_when_reached and int(out[0].argmax()) == target:
                saved = _eight_bit(p)  # what the picture will be once saved must say it too
                with torch.no_grad():
                    if int(scores(saved)[0].argmax()) == target:
                        found["pixels"] = saved
                        raise _Reached
            return out

        forward = CancellableForward(watched, cancel=cancel, callback=callback, total=int(steps))
        attack = PGD(forward, loss_func=lambda out, t: F.cross_entropy(out, t, reduction="none"),
                     lower_bound=0.0, upper_bound=1.0)
        forward.check()
        try:
            with torch.enable_grad(), warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Input Tensor 0 did not already require gradients")
                result = attack.perturb(pixels, radius=float(eps), step_size=step_size, step_num=int(steps),
                                        target=torch.tensor([target], device=device), targeted=True)
            taken = int(steps)
            result = _eight_bit(result)
        except _Reached:
            result = found["pixels"]
            taken = forward.calls  # the calls before the one that saw the target each took a step
        forward.finish()
        with torch.no_grad():
            final = scores(result)[0]
    names = class_names(model, count)
    result = result[0].detach().float().cpu()
    return Adversarial(
        image=to_pil(result),
        pixels=result,
        perturbation=result - pixels[0].float().cpu(),
        predictions=top_predictions(final, names, k),
        before=top_predictions(start, names, k),
        target=target,
        reached=int(final.argmax()) == target,
        steps=taken,
        eps=float(eps),
    )
