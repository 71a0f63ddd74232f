"""DeepDream: amplify whatever a layer sees in a photo (Mordvintsev et al., 2015).

Gradient ascent on the mean square of the chosen layers' activations, run
over an octave pyramid: the photo is first dreamt at a small size, then the
detail the dream added is carried up to the next, larger octave. Every step
shifts the picture by a random offset (so that tile seams and the network's
stride grid do not print into the result), and the gradient is computed tile
by tile, so a 4000 px photo needs no more memory than one ``tile`` x ``tile``
crop. The model is frozen, run only up to the deepest chosen layer, and left
exactly as found.
"""

from __future__ import annotations

import math
import secrets
import threading
import warnings
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from .images import load_image
from .layer_catalog import LayerError, capture_for, input_for, layers as layer_catalog
from .layer_choice import default_layer
from .model_guard import preserved
from .model_input import InputNote
from .normalizer import pixel_normalizer
from .placement import model_device, model_dtype
from .precision import autocast_context, resolve_precision
from .preprocessing import to_pil, to_tensor

MIN_OCTAVE_SIDE = 32
"""Octaves whose shorter side would fall below this many pixels are skipped."""


def default_dream_layers(model: nn.Module) -> list[str]:
    """The layer the explorer shows first (:func:`~cnnwidget.engine.layer_choice.default_layer`):
    mid-network, rich but still spatial; ``"layer3"`` for torchvision ResNets."""
    try:
        return [default_layer(layer_catalog(model, 224))]
    except ValueError:
        raise LayerError("the model has no layer with image-like (N, C, H, W) outputs to dream with") from None


def deepdream(
    model: nn.Module,
    image,
    *,
    layers: str | Sequence[str] | None = None,
    octaves: int = 4,
    octave_scale: float = 1.4,
    steps: int = 10,
    lr: float = 0.01,
    jitter: int = 32,
    tile: int = 512,
    callback: Callable | None = None,
    cancel: threading.Event | None = None,
    progress: bool = True,
    seed: int | None = None,
    preprocess=None,
    precision: str = "auto",
) -> Image.Image:
    """Dream on ``image`` with ``layers`` of ``model``; return a PIL image of the input's size.

    Args:
        model: the network (left exactly as found).
        image: a path, PIL image, array or tensor (see :func:`cnnwidget.load_image`).
        layers: a layer name or a list of them (see :func:`cnnwidget.layers`);
            defaults to :func:`default_dream_layers`.
        octaves: number of pyramid levels; the smallest is the photo shrunk
            ``octave_scale ** (octaves - 1)`` times.
        octave_scale: size ratio between neighbouring octaves.
        steps: gradient steps per octave.
        lr: step size in pixel units ([0, 1] scale); each step moves pixels by
            ``lr`` times the gradient divided by its mean magnitude.
        jitter: largest random shift, in pixels, applied before each step.
        tile: gradients are computed on tiles of at most ``tile`` x ``tile``
            pixels, which bounds memory for large photos.
        callback: ``callback(step, image, value)`` after each octave, with the
            dream so far at the input's size and the objective (the layers' mean
            square, tiles weighted by their area)
            of the octave's last step.
        cancel: a ``threading.Event``; once set, the dream stops before its next
            step and the picture so far is returned.
        progress: show a tqdm progress bar.
        seed: seed for the random shifts (``None``: random).
        preprocess: the model's normalization (the model's own, or ImageNet's).
        precision: ``"auto"`` (bfloat16 where the hardware has it), ``"float32"`` or ``"bfloat16"``.

    Returns:
        The dreamt picture, a PIL image of the same size as ``image``.

    Example:
        >>> dream = deepdream(model, "photo.jpg", layers="layer3")   # doctest: +SKIP
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}; pass the model itself")
    if octaves < 1 or steps < 0 or octave_scale <= 1.0 or tile < 32:
        raise ValueError(
            "need octaves >= 1, steps >= 0, octave_scale > 1 and tile >= 32; "
            f"got octaves={octaves}, steps={steps}, octave_scale={octave_scale}, tile={tile}"
        )
    names = default_dream_layers(model) if layers is None else ([layers] if isinstance(layers, str) else list(layers))
    if not names:
        raise ValueError("no layer given; pass a name from cnnwidget.layers(model)")
    photo = to_tensor(load_image(image))[None]
    height, width = photo.shape[-2:]
    sizes = _octave_sizes(height, width, octaves, octave_scale)
    capture = capture_for(model, names, (height, width))
    for note in octave_notes(model, height, width, octaves, octave_scale):
        warnings.warn(note, InputNote, stacklevel=2)
    normalize = pixel_normalizer(preprocess, model)
    device, dtype = model_device(model), model_dtype(model)
    mode = resolve_precision(precision, device)
    generator = torch.Generator().manual_seed(secrets.randbits(63) if seed is None else int(seed))

    bar = _bar(progress, len(sizes) * steps)
    detail = torch.zeros(1, 3, *sizes[0])
    dream = photo
    done = 0
    try:
        with preserved(model, freeze=True), capture:

            def gradient(x: torch.Tensor, share: float) -> tuple[torch.Tensor, float]:
                """Gradient of this tile's part (``share`` of the image) of the mean square."""
                x = x.requires_grad_(True)
                with autocast_context(mode, device):
                    acts = capture.run(normalize(x))
                value = sum(acts[n].float().pow(2).mean() for n in names) * share
                (grad,) = torch.autograd.grad(value, x)
                return grad.float().cpu(), float(value.detach())  # x stays on the CPU: its grad too

            for size in sizes:
                base = _resize(photo, size)
                img = base + _resize(detail, size)
                value = 0.0
                for _ in range(steps):
                    if cancel is not None and cancel.is_set():
                        return to_pil(_resize(img - base, (height, width)) + photo)
                    img, value = _step(img, gradient, lr, jitter, tile, generator)
                    done += 1
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(value=f"{value:.3g}", refresh=False)
                detail = img - base
                dream = img
                if callback is not None:
                    callback(done, to_pil(_resize(detail, (height, width)) + photo), value)
    finally:
        if bar is not None:
            bar.close()
    if tuple(dream.shape[-2:]) != (height, width):
        dream = photo + _resize(detail, (height, width))
    return to_pil(dream)


def _step(img, gradient, lr, jitter, tile, generator):
    """One jittered, tiled gradient step; returns the new image and the objective (tiles weighted by area)."""
    dy, dx = (int(v) for v in torch.randint(-jitter, jitter + 1, (2,), generator=generator)) if jitter else (0, 0)
    shifted = torch.roll(img, shifts=(dy, dx), dims=(-2, -1))
    grad = torch.zeros_like(shifted)
    values = []
    height, width = shifted.shape[-2:]
    for top, bottom, left, right in _tiles(height, width, tile):
        share = (bottom - top) * (right - left) / (height * width)
        g, v = gradient(shifted[..., top:bottom, left:right], share)
        grad[..., top:bottom, left:right] = g
        values.append(v)
    grad = torch.roll(grad, shifts=(-dy, -dx), dims=(-2, -1))
    grad = grad / (grad.abs().mean() + 1e-8)
    return (img + lr * grad).clamp(0, 1), sum(values)


def _tiles(height: int, width: int, tile: int):
    """Equal tiles of at most ``tile`` px covering the image: ``(top, bottom, left, right)``."""
    ny, nx = math.ceil(height / tile), math.ceil(width / tile)
    ys = [round(i * height / ny) for i in range(ny + 1)]
    xs = [round(i * width / nx) for i in range(nx + 1)]
    return [(ys[i], ys[i + 1], xs[j], xs[j + 1]) for i in range(ny) for j in range(nx)]


def octave_notes(model: nn.Module, height: int, width: int, octaves: int, octave_scale: float = 1.4) -> list[str]:
    """What is adapted to feed ``model`` the octaves of a ``height`` x ``width`` dream (sizes below the
    architecture's minimum, a fixed input size, channels), in words; :func:`deepdream` warns them as
    :class:`~cnnwidget.engine.model_input.InputNote`."""
    sizes = _octave_sizes(height, width, octaves, octave_scale)
    return list(dict.fromkeys(n for size in sizes for n in input_for(model, size).notes))


def _octave_sizes(height: int, width: int, octaves: int, scale: float) -> list[tuple[int, int]]:
    sizes = []
    for k in range(octaves - 1, -1, -1):
        h, w = round(height / scale**k), round(width / scale**k)
        if min(h, w) >= MIN_OCTAVE_SIDE or k == 0:
            sizes.append((h, w))
    return sizes


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)


def _bar(progress: bool, total: int):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="deepdream", leave=False)


__all__ = ["deepdream", "default_dream_layers"]
