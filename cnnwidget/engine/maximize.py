"""Feature visualization: optimize a picture until a unit of the network fires strongly.

:func:`maximize` is the one-call API; :class:`Maximizer` is the step-by-step
engine under it (the widget iterates it to stream pictures and values).

Each step decodes the parameterized picture, applies random transformations,
normalizes it the way the model expects, runs the network only as far as
the deepest layer the objective reads, and takes an Adam step on the picture.
The model is frozen (no parameter gradients are ever computed) and restored
exactly afterwards, also on errors and cancellation.
"""

from __future__ import annotations

import math
import secrets
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch
from PIL import Image
from torch import nn

from .capture import LayerCapture
from .images import load_image
from .model_guard import preserved
from .objective_plan import objective_plan
from .objectives import Objective, ObjectiveError, as_objective
from .parameterization import image_param
from .normalizer import pixel_normalizer
from .placement import model_device, model_dtype
from .precision import autocast_context, resolve_precision
from .preprocessing import to_pil, to_tensor
from .relu_redirect import redirected_relus
from .transforms import resolve_transforms

CALLBACK_EVERY = 8
""":func:`maximize` calls ``callback`` every this many steps, and after the last step."""

DEFAULT_LR = 0.25
"""Adam's peak learning rate. Lucid uses 0.05 for 512 constant steps; with the
cosine schedule, 0.25 reaches Lucid's 512-step result in 64 steps (see
benchmarks/RESULTS.md)."""

PARAM_SCALE = 128 / 224
"""Side of the optimized parameter relative to the picture (Lucid's 128 px for 224 px).

The parameter is upsampled to the picture's size, which keeps the result free
of pixel-level noise. Starting from an ``image`` uses the full size instead."""

DECAY_POWER = 1.25
"""Exponent of the Fourier parameterization's ``1/f`` scaling: slightly smoother than Lucid's 1."""


@dataclass
class Step:
    """One optimization step, as yielded by iterating a :class:`Maximizer`.

    Attributes:
        step: 1-based step number.
        pixels: ``(N, 3, H, W)`` picture in [0, 1] that this step evaluated (detached, before its update).
        values: ``(N,)`` objective value of each picture under this step's random view.
    """

    step: int
    pixels: torch.Tensor
    values: torch.Tensor

    @property
    def value(self) -> float:
        """The objective averaged over the batch."""
        return float(self.values.mean())


class Maximizer:
    """Gradient ascent on a picture, one step per iteration.

    Iterate it to run: each iteration yields a :class:`Step`. While iterating,
    the model is in eval mode, frozen and hooked; it is restored when the loop
    ends, is broken off, raises, or :meth:`close` is called. ``cancel`` (a
    ``threading.Event``) ends the iteration before the next step.

    Args:
        model: the network; not modified.
        objective: an :class:`~cnnwidget.engine.objectives.Objective`, a shorthand
            string such as ``"layer3.1:5"``, or a list of them: one picture per
            objective, optimized together as one batch.
        steps: number of optimization steps.
        size: side of the picture in pixels; the model always sees ``size`` px.
        batch: pictures per objective (ignored for a list of objectives).
        image: start from this picture (anything :func:`~cnnwidget.load_image` reads)
            instead of faint noise.
        param: ``"fft"`` (decorrelated Fourier space, smooth) or ``"pixel"``.
        decorrelate: pass colours through ImageNet's colour correlation.
        transforms: ``"standard"``, ``"none"`` or a list of ``t(x, generator)`` callables.
        lr: peak learning rate; defaults to :data:`DEFAULT_LR`.
        seed: seed for the initial noise and the random transforms (``None``: random).
        seeds: one seed per picture instead (``len(seeds) == batch``): each picture
            then draws its own initial noise and its own random transforms, so its
            randomness does not depend on which other pictures share its batch (its
            pixels may still differ in the last bits, as batched kernels round
            differently); a one-picture run with ``seeds=[s]`` repeats ``seed=s``.
        preprocess: the model's normalization (defaults as in :func:`~cnnwidget.activations`).
        schedule: ``"cosine"`` (short warm-up, then cosine decay; the default)
            or ``"constant"`` (Lucid's).
        precision: ``"float32"``, ``"bfloat16"`` (autocast) or ``"auto"``
            (bfloat16 only on CPUs and GPUs with native support).
        redirect_steps: steps during which silent ReLUs pass gradient (see
            :mod:`~cnnwidget.engine.relu_redirect`); defaults to a quarter of the
            steps. Later steps also redirect while an objective is still exactly 0;
            0 turns the redirect off.
        param_size: side of the optimized parameter, upsampled to ``size``
            (default: ``size * 128 / 224`` as in Lucid, or ``size`` with ``image``).
        decay_power: the Fourier form's ``1/f**decay_power`` scaling (default 1.25).
        cancel: a ``threading.Event``; when set, iteration stops before the next step.

    Example:
        >>> m = Maximizer(model, "layer3.1:5", steps=64, seed=0)   # doctest: +SKIP
        >>> for s in m: pass
        >>> m.images()[0].save("unit.png"); s.value
    """

    def __init__(
        self,
        model: nn.Module,
        objective,
        *,
        steps: int = 256,
        size: int = 224,
        batch: int = 1,
        image=None,
        param: str = "fft",
        decorrelate: bool = True,
        transforms="standard",
        lr: float | None = None,
        seed: int | None = None,
        seeds: Sequence[int] | None = None,
        preprocess=None,
        schedule: str = "cosine",
        precision: str = "auto",
        redirect_steps: int | None = None,
        param_size: int | None = None,
        decay_power: float = DECAY_POWER,
        cancel: threading.Event | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(
                f"expected a torch.nn.Module, got {type(model).__name__}; pass the model itself"
            )
        if steps < 1:
            raise ValueError(f"steps must be at least 1, got {steps}")
        if schedule not in ("cosine", "constant"):
            raise ValueError(f"unknown schedule {schedule!r}; use 'cosine' or 'constant'")
        self.model = model
        self.steps = int(steps)
        self.size = int(size)
        self.objectives, self.per_image = _objectives(objective)
        if self.per_image:
            if batch not in (1, len(self.objectives)):
                raise ValueError(
                    f"got {len(self.objectives)} objectives and batch={batch}; a list of "
                    "objectives makes one picture each, so leave batch at 1"
                )
            batch = len(self.objectives)
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        self.batch = batch
        self.layer_names = list(dict.fromkeys(n for o in self.objectives for n in o.layers))
        self.calls = objective_plan(model, self.objectives, self.size)
        self.lr = DEFAULT_LR if lr is None else float(lr)
        self.schedule = schedule
        self.precision = resolve_precision(precision, model_device(model))
        self.redirect_steps = max(1, self.steps // 4) if redirect_steps is None else redirect_steps
        self.cancel = cancel
        self.seed = secrets.randbits(63) if seed is None else int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)
        self.generators = _item_generators(seeds, batch)
        self.transform = resolve_transforms(transforms)
        self.normalize = pixel_normalizer(preprocess, model)
        self.device = model_device(model)
        if param_size is None:
            param_size = self.size if image is not None else max(8, round(self.size * PARAM_SCALE))
        self.param_size = int(param_size)
        self.param = image_param(
            param, batch, self.param_size, decorrelate=decorrelate, decay_power=decay_power,
            generator=self.generators or self.generator, device=self.device,
        )
        if image is not None:
            self.param.set_pixels(to_tensor(load_image(image)))
        self.last: Step | None = None
        self._iterator: Iterator[Step] | None = None

    # -- running -----------------------------------------------------------
    def __iter__(self) -> Iterator[Step]:
        self._iterator = self._run()
        return self._iterator

    def run(self) -> "Maximizer":
        """Run every step (or until cancelled) and return ``self``."""
        for _ in self:
            pass
        return self

    def close(self) -> None:
        """Stop an iteration in progress and restore the model now."""
        if self._iterator is not None:
            self._iterator.close()
            self._iterator = None

    def __enter__(self) -> "Maximizer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _run(self) -> Iterator[Step]:
        optimizer = torch.optim.Adam(self.param.params, lr=self.lr)
        dtype = model_dtype(self.model)
        with preserved(self.model, freeze=True), LayerCapture(
            self.model, self.layer_names, calls=self.calls
        ) as capture:
            silent = False
            for step in range(1, self.steps + 1):
                if self.cancel is not None and self.cancel.is_set():
                    return
                for group in optimizer.param_groups:
                    group["lr"] = self._lr_at(step)
                pixels = self._decode()
                x = self._model_input(pixels).to(dtype)
                redirect = self.redirect_steps > 0 and (step <= self.redirect_steps or silent)
                with autocast_context(self.precision, self.device), (
                    redirected_relus() if redirect else nullcontext()
                ):
                    acts = capture.run(x)
                values = self._values(acts)
                silent = bool((values.detach() == 0).any())
                optimizer.zero_grad(set_to_none=True)
                (-values.sum()).backward()
                optimizer.step()
                self.last = Step(step, pixels.detach(), values.detach())
                yield self.last

    def _decode(self) -> torch.Tensor:
        pixels = self.param()
        if self.param_size != self.size:
            pixels = torch.nn.functional.interpolate(
                pixels, size=(self.size, self.size), mode="bilinear", align_corners=False
            )
        return pixels

    def _lr_at(self, step: int) -> float:
        if self.schedule == "constant":
            return self.lr
        warmup = max(1, self.steps // 16)
        if step <= warmup:
            return self.lr * step / warmup
        progress = (step - warmup) / max(1, self.steps - warmup)
        return self.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))

    def _model_input(self, pixels: torch.Tensor) -> torch.Tensor:
        if self.generators is None:
            x = _fit(self.transform(pixels, self.generator), self.size)
        else:  # each picture its own random view
            x = torch.cat([_fit(self.transform(p[None], g), self.size) for p, g in zip(pixels, self.generators)])
        x = self.normalize(x)
        if self.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def _values(self, acts) -> torch.Tensor:
        if not self.per_image:
            return self.objectives[0](acts)
        parts = {name: acts[name].split(1) for name in self.layer_names}
        return torch.cat(
            [obj({n: parts[n][i] for n in obj.layers}) for i, obj in enumerate(self.objectives)]
        )

    # -- results -------------------------------------------------------------
    @torch.no_grad()
    def pixels(self) -> torch.Tensor:
        """The current pictures, ``(N, 3, size, size)`` in [0, 1]."""
        return self._decode().detach().float().cpu()

    def images(self) -> list[Image.Image]:
        """The current pictures as PIL images."""
        return [to_pil(p) for p in self.pixels()]

    @torch.no_grad()
    def evaluate(self, views: int = 0) -> torch.Tensor:
        """The objective of the current pictures, ``(N,)``.

        With ``views=0`` the picture is evaluated as it is; otherwise the
        value is averaged over that many random transformed views (drawn
        from a fixed seed, so repeated calls agree).
        """
        pixels = self._decode()
        generator = torch.Generator().manual_seed(12345)
        with preserved(self.model), LayerCapture(self.model, self.layer_names, calls=self.calls) as cap:
            if views == 0:
                return self._values(cap.run(self.normalize(pixels).to(model_dtype(self.model)))).float().cpu()
            total = 0
            for _ in range(views):
                x = _fit(self.transform(pixels, generator), self.size)
                total = total + self._values(cap.run(self.normalize(x).to(model_dtype(self.model))))
            return (total / views).float().cpu()


def maximize(
    model: nn.Module,
    objective,
    *,
    steps: int = 256,
    size: int = 224,
    batch: int = 1,
    image=None,
    param: str = "fft",
    decorrelate: bool = True,
    transforms="standard",
    lr: float | None = None,
    seed: int | None = None,
    callback: Callable | None = None,
    cancel: threading.Event | None = None,
    progress: bool = True,
):
    """Optimize a picture that makes ``objective`` large; return it as a PIL image.

    Args:
        model: the network (left exactly as found).
        objective: ``"layer3.1:5"`` (a channel), ``"layer3.1:5@7,7"`` (a neuron),
            ``"layer3.1"`` (the whole layer), ``"logits:207"`` (a class),
            ``"-layer3.1:5"`` (minimize), an
            :class:`~cnnwidget.engine.objectives.Objective` built from
            ``cnnwidget.objectives``, or a list of these: one picture each, all
            optimized as one batch.
        steps: optimization steps (Adam with a short warm-up and cosine decay).
        size: side of the picture; the model sees ``size`` px inputs.
        batch: pictures per objective; add ``cnnwidget.objectives.diversity(layer)``
            to make them differ.
        image: start from this picture (path, PIL, array, tensor) instead of noise.
        param: ``"fft"`` (decorrelated Fourier space, the default) or ``"pixel"``.
        decorrelate: decorrelate colours with ImageNet's colour statistics.
        transforms: ``"standard"`` (pad, jitter, random scale, random rotation;
            see :func:`cnnwidget.engine.transforms.standard`), ``"none"``, or a
            list of ``t(x, generator)`` / ``t(x)`` callables.
        lr: peak learning rate (default 0.25).
        seed: makes the result repeatable on the same device.
        callback: ``callback(step, image, value)``, called every
            :data:`CALLBACK_EVERY` (8) steps and after the last step, with the
            current picture (a PIL image, or a list when there are several)
            and the objective averaged over the batch.
        cancel: a ``threading.Event``; once set, the optimization stops
            before its next step and the current picture(s) are returned.
        progress: show a tqdm progress bar.

    Returns:
        A PIL image, or a list of them when ``batch > 1`` or ``objective`` is a list.

    Raises:
        LayerError: a layer name the model does not have.
        ObjectiveError: a malformed objective or a channel out of range.

    Example:
        >>> img = maximize(torchvision.models.resnet18(), "layer3.1:5", steps=128)  # doctest: +SKIP
    """
    engine = Maximizer(
        model, objective, steps=steps, size=size, batch=batch, image=image, param=param,
        decorrelate=decorrelate, transforms=transforms, lr=lr, seed=seed, cancel=cancel,
    )
    many = engine.batch > 1
    bar = _progress_bar(progress, steps, engine)
    try:
        for step in engine:
            if bar is not None:
                bar.update(1)
                bar.set_postfix(value=f"{step.value:.3g}", refresh=False)
            if callback is not None and (step.step % CALLBACK_EVERY == 0 or step.step == steps):
                images = engine.images()
                callback(step.step, images if many else images[0], step.value)
    finally:
        engine.close()
        if bar is not None:
            bar.close()
    images = engine.images()
    return images if many else images[0]


def _progress_bar(progress: bool, steps: int, engine: Maximizer):
    if not progress:
        return None
    from tqdm.auto import tqdm

    label = engine.objectives[0].name if len(engine.objectives) == 1 else f"{len(engine.objectives)} units"
    return tqdm(total=steps, desc=f"maximize {label}", leave=False)


def _objectives(objective) -> tuple[list[Objective], bool]:
    if isinstance(objective, (list, tuple)):
        if not objective:
            raise ObjectiveError("the list of objectives is empty; give at least one, e.g. ['layer3.1:5']")
        return [as_objective(o) for o in objective], True
    return [as_objective(objective)], False


def _item_generators(seeds, batch: int) -> list[torch.Generator] | None:
    if seeds is None:
        return None
    seeds = [int(s) for s in seeds]
    if len(seeds) != batch:
        raise ValueError(f"got {len(seeds)} seeds for {batch} pictures; give one seed per picture")
    return [torch.Generator().manual_seed(s) for s in seeds]


def _fit(x: torch.Tensor, size: int) -> torch.Tensor:
    """Centre-crop, or pad with grey, to ``size`` x ``size``."""
    h, w = x.shape[-2:]
    if h > size or w > size:
        top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
        x = x[..., top : top + min(h, size), left : left + min(w, size)]
        h, w = x.shape[-2:]
    if h < size or w < size:
        top, left = (size - h) // 2, (size - w) // 2
        x = torch.nn.functional.pad(x, [left, size - w - left, top, size - h - top], value=0.5)
    return x


__all__ = ["CALLBACK_EVERY", "Maximizer", "Step", "maximize"]
