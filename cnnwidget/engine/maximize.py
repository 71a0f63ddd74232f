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

import inspect
import math
import secrets
import threading
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch
from PIL import Image
from torch import nn

from .images import load_image
from .layer_catalog import capture_for, input_for
from .model_guard import preserved
from .model_input import InputNote
from .objective_plan import objective_plan
from .objectives import Objective, ObjectiveError, as_objective
from .parameterization import image_param
from .normalizer import pixel_normalizer
from .placement import model_device, model_dtype
from .precision import autocast_context, resolve_precision
from .preprocessing import to_pil, to_tensor
from .relu_redirect import redirected_relus
from .soft_range import SOFT_DECAY_POWER, SOFT_PARAM_SCALE, SOFT_WEIGHT, range_penalty
from .transforms import resolve_transforms
from .transparency import attention_mask

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

DEFAULT_PARAM = "soft"
"""The parameterization used when none is named: ``"soft"`` is the one that meets bench_natural's
four goals against Lucent (objective, clipping, spectral slope, CPU time; see benchmarks/RESULTS.md)."""

AUTO_TRANSFORMS = {"maco": "crops"}
"""``transforms="auto"`` per parameterization: MACO's shrinking crops for ``"maco"``, else ``"standard"``."""


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
        steps: number of optimization steps (176: what the default ``"soft"`` needs to reach
            Lucent's 512-step objective, see benchmarks/RESULTS.md, bench_natural).
        size: side of the picture in pixels; the model always sees ``size`` px.
        batch: pictures per objective (ignored for a list of objectives).
        image: start from this picture (anything :func:`~cnnwidget.load_image` reads)
            instead of faint noise.
        param: ``"soft"`` (decorrelated Fourier space with a soft value range:
            no pixels run to the sigmoid's ends; see :mod:`~cnnwidget.engine.soft_range`),
            ``"fft"`` (decorrelated Fourier space), ``"maco"`` (phases
            only, amplitudes of natural photos; Fel et al. 2023) or ``"pixel"``;
            ``None`` for :data:`DEFAULT_PARAM` (``"soft"``).
        decorrelate: pass colours through ImageNet's colour correlation.
        transforms: ``"auto"`` (``"crops"`` for ``"maco"``, else ``"standard"``),
            ``"standard"``, ``"crops"``, ``"views"`` (the benchmarks' kind of random affine views),
            ``"none"`` or a list of ``t(x, generator)`` callables.
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
            0 turns the redirect off. It applies to ReLU and ReLU6 only: GELU and
            SiLU (transformers, EfficientNets, ConvNeXt) have a non-zero gradient
            for negative inputs, so their units never start dead and are left as they are.
        param_size: side of the optimized parameter, upsampled to ``size``
            (default: ``size * 128 / 224`` as in Lucid, ``size * 72 / 224`` for ``"soft"``,
            or ``size`` with ``image`` or ``"maco"``).
        decay_power: the Fourier form's ``1/f**decay_power`` scaling (default 1.25, 1.5 for ``"soft"``).
        range_weight: weight of the penalty on pre-sigmoid values beyond the logit of 0.95
            (:func:`~cnnwidget.engine.soft_range.range_penalty`); default 10 for ``"soft"``, else 0.
            Started from an ``image``, ``"soft"`` optimizes as ``"fft"`` does (no penalty,
            ``1/f**1.25``, full-size parameter), so the photo keeps its own range and spectrum.
        spectrum: the amplitudes of ``"maco"`` pictures: ``None`` (measured on the
            bundled photos and shipped), a folder of photos, or a tensor from
            :func:`~cnnwidget.engine.natural_spectrum.compute_spectrum`.
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
        steps: int = 176,
        size: int = 224,
        batch: int = 1,
        image=None,
        param: str | None = None,
        decorrelate: bool = True,
        transforms="auto",
        lr: float | None = None,
        seed: int | None = None,
        seeds: Sequence[int] | None = None,
        preprocess=None,
        schedule: str = "cosine",
        precision: str = "auto",
        redirect_steps: int | None = None,
        param_size: int | None = None,
        decay_power: float | None = None,
        range_weight: float | None = None,
        spectrum=None,
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
        self.input = input_for(model, self.size)
        self.notes = list(self.input.notes)
        """What was adapted for this model (input size, channels), in words; also issued as warnings."""
        for note in self.notes:
            warnings.warn(note, InputNote, stacklevel=2)
        self.calls = objective_plan(model, self.objectives, self.size)
        self.lr = DEFAULT_LR if lr is None else float(lr)
        self.schedule = schedule
        self.precision = resolve_precision(precision, model_device(model))
        self.redirect_steps = max(1, self.steps // 4) if redirect_steps is None else redirect_steps
        self.cancel = cancel
        self.seed = secrets.randbits(63) if seed is None else int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)
        self.generators = _item_generators(seeds, batch)
        param = DEFAULT_PARAM if param is None else param
        if isinstance(transforms, str) and transforms == "auto":
            transforms = AUTO_TRANSFORMS.get(param, "standard")
        self.transform = resolve_transforms(transforms)
        self.normalize = pixel_normalizer(preprocess, model)
        self.device = model_device(model)
        # Started from a photo, "soft" optimizes as "fft" does: the photo keeps its own range and spectrum.
        soft = param == "soft" and image is None
        if param_size is None:
            full = image is not None or param == "maco"
            scale = SOFT_PARAM_SCALE if soft else PARAM_SCALE
            param_size = self.size if full else max(8, round(self.size * scale))
        if decay_power is None:
            decay_power = SOFT_DECAY_POWER if soft else DECAY_POWER
        if range_weight is None:
            range_weight = SOFT_WEIGHT if soft else 0.0
        self.range_weight = float(range_weight)
        self.param_size = int(param_size)
        self.param = image_param(
            param, batch, self.param_size, decorrelate=decorrelate, decay_power=decay_power, spectrum=spectrum,
            generator=self.generators or self.generator, device=self.device,
        )
        self._attention = torch.zeros(batch, self.size, self.size, device=self.device)  # on the device: no sync per step
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
        with preserved(self.model, freeze=True), capture_for(
            self.model, self.layer_names, self.size, maps_only=False
        ) as capture:
            silent = False
            for step in range(1, self.steps + 1):
                if self.cancel is not None and self.cancel.is_set():
                    return
                for group in optimizer.param_groups:
                    group["lr"] = self._lr_at(step)
                if hasattr(self.transform, "progress"):
                    self.transform.progress = (step - 1) / max(1, self.steps - 1)
                pixels = self._decode()
                pixels.retain_grad()
                x = self._model_input(pixels).to(dtype)
                redirect = self.redirect_steps > 0 and (step <= self.redirect_steps or silent)
                with autocast_context(self.precision, self.device), (
                    redirected_relus() if redirect else nullcontext()
                ):
                    acts = capture.run(x)
                values = self._values(acts)
                silent = bool((values.detach() == 0).any())
                optimizer.zero_grad(set_to_none=True)
                loss = -values.sum()
                if self.range_weight:
                    loss = loss + self.range_weight * range_penalty(self.param.pre_sigmoid).sum()
                loss.backward()
                if pixels.grad is not None:
                    self._attention += pixels.grad.detach().abs().sum(dim=1).float()
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
        """The current pictures as PIL images (in grey for a model that takes one channel)."""
        return [to_pil(p) for p in self.input.to_picture(self.pixels())]

    def masks(self) -> torch.Tensor:
        """Transparency masks ``(N, size, size)`` in [0, 1]: where each picture drove its unit.

        The gradient magnitude of the objective with respect to each pixel,
        accumulated over every step so far (MACO's transparency map; Fel et al.
        2023); see :func:`~cnnwidget.engine.transparency.attention_mask`.
        """
        return attention_mask(self._attention.cpu())

    def mask_images(self) -> list[Image.Image]:
        """The :meth:`masks` as greyscale PIL images (white: where the unit looked)."""
        return [Image.fromarray((m * 255).round().byte().numpy()) for m in self.masks()]

    @torch.no_grad()
    def evaluate(self, views: int = 0) -> torch.Tensor:
        """The objective of the current pictures, ``(N,)``.

        With ``views=0`` the picture is evaluated as it is; otherwise the
        value is averaged over that many random transformed views (drawn
        from a fixed seed, so repeated calls agree).
        """
        pixels = self._decode()
        generator = torch.Generator().manual_seed(12345)
        with preserved(self.model), capture_for(self.model, self.layer_names, self.size, maps_only=False) as cap:
            if views == 0:
                return self._values(cap.run(self.normalize(pixels).to(model_dtype(self.model)))).float().cpu()
            total = 0
            for _ in range(views):
                x = _fit(self.transform(pixels, generator), self.size)
                total = total + self._values(cap.run(self.normalize(x).to(model_dtype(self.model))))
            return (total / views).float().cpu()


def maximize(
    model: nn.Module, objective, *, mask: bool = False, callback: Callable | None = None, progress: bool = True,
    **options,
):
    """Optimize a picture that makes ``objective`` large; return it as a PIL image.

    Runs a :class:`Maximizer` to the end. The options are the :class:`Maximizer`'s own
    keyword arguments, with the same meaning and defaults (documented there once):
    ``steps``, ``size``, ``batch``, ``image``, ``param``, ``decorrelate``, ``transforms``,
    ``lr``, ``seed``, ``seeds``, ``preprocess``, ``schedule``, ``precision``,
    ``redirect_steps``, ``param_size``, ``decay_power``, ``range_weight``, ``spectrum`` and ``cancel``.

    Args:
        model: the network (left exactly as found).
        objective: ``"layer3.1:5"`` (a channel), ``"layer3.1:5@7,7"`` (a neuron),
            ``"layer3.1"`` (the whole layer), ``"logits:207"`` (a class),
            ``"-layer3.1:5"`` (minimize), an
            :class:`~cnnwidget.engine.objectives.Objective` built from
            ``cnnwidget.objectives``, or a list of these: one picture each, all
            optimized as one batch.
        mask: also return each picture's transparency mask (a greyscale PIL
            image, white where the unit looked; see :meth:`Maximizer.masks`).
        callback: ``callback(step, image, value)``, called every
            :data:`CALLBACK_EVERY` (8) steps and after the last step, with the
            current picture (a PIL image, or a list when there are several)
            and the objective averaged over the batch.
        progress: show a tqdm progress bar.
        **options: keyword arguments of :class:`Maximizer`.

    Returns:
        A PIL image, or a list of them when ``batch > 1`` or ``objective`` is a list;
        with ``mask=True`` a pair ``(pictures, masks)`` of the same form.

    Raises:
        LayerError: a layer name the model does not have.
        ObjectiveError: a malformed objective or a channel out of range.
        TypeError: an option :class:`Maximizer` does not take (the message lists them).

    Example:
        >>> img = maximize(torchvision.models.resnet18(), "layer3.1:5", steps=128)  # doctest: +SKIP
    """
    unknown = sorted(set(options) - set(MAXIMIZER_OPTIONS))
    if unknown:
        raise TypeError(f"maximize() got unknown option(s) {unknown}; valid: {', '.join(MAXIMIZER_OPTIONS)}")
    engine = Maximizer(model, objective, **options)
    many = engine.batch > 1
    bar = _progress_bar(progress, engine.steps, engine)
    try:
        for step in engine:
            if bar is not None:
                bar.update(1)
                bar.set_postfix(value=f"{step.value:.3g}", refresh=False)
            if callback is not None and (step.step % CALLBACK_EVERY == 0 or step.step == engine.steps):
                images = engine.images()
                callback(step.step, images if many else images[0], step.value)
    finally:
        engine.close()
        if bar is not None:
            bar.close()
    images = engine.images()
    if mask:
        masks = engine.mask_images()
        return (images, masks) if many else (images[0], masks[0])
    return images if many else images[0]


MAXIMIZER_OPTIONS = tuple(
    name for name, p in inspect.signature(Maximizer.__init__).parameters.items() if p.kind is p.KEYWORD_ONLY
)
"""The keyword options of :class:`Maximizer`, which :func:`maximize` also takes."""


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


__all__ = ["AUTO_TRANSFORMS", "CALLBACK_EVERY", "DEFAULT_PARAM", "InputNote", "Maximizer", "Step", "maximize"]
