"""What the network decides: the top-k classes of a picture, with their probabilities."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .capture import first_tensor
from .class_names import class_names
from .layer_catalog import input_for
from .model_guard import preserved
from .preprocessing import input_tensor, resolve_preprocess


class Prediction(NamedTuple):
    """One row of a top-k list: ``(index, name, probability)``."""

    index: int
    name: str
    probability: float


def model_output(model: nn.Module, x: torch.Tensor, *, maps: bool = True) -> torch.Tensor:
    """The model's ``(N, K)`` scores for the preprocessed batch ``x`` (no autograd, model restored).

    Outputs with extra dimensions (a score map per class) are averaged over
    them, unless ``maps`` is False; a tuple output (auxiliary heads) gives its
    first tensor. The batch is fitted to the model as every feature fits it
    (device, dtype, channels, a fixed input size: see :func:`~cnnwidget.engine.layer_catalog.input_for`).

    Raises:
        ValueError: the output is not ``(N, K, ...)`` scores; the message says what it was.
    """
    with preserved(model, freeze=False), torch.no_grad():
        out = model(input_for(model, tuple(x.shape[-2:]))(x))
    return class_scores(out, maps=maps)


def output_count(model: nn.Module, size: int) -> int:
    """How many class scores ``model`` gives for a ``size`` px input."""
    dummy = torch.zeros(1, 3, size, size)
    return int(model_output(model, dummy).shape[1])


def class_scores(out, *, maps: bool = True) -> torch.Tensor:
    """``(N, K)`` float scores from a model's raw output (first tensor of a tuple, extra dims averaged).

    With ``maps=False`` an output with extra dimensions is refused (ValueError) instead.
    """
    tensor = first_tensor(out)
    if tensor is None or tensor.dim() < 2 or (not maps and tensor.dim() > 2):
        shape = None if tensor is None else tuple(tensor.shape)
        raise ValueError(
            f"the model's output {'is not a tensor' if shape is None else f'has shape {shape}'}; "
            "predictions need class scores shaped (N, classes): pass a classifier"
        )
    if tensor.dim() > 2:
        tensor = tensor.flatten(2).mean(-1)
    return tensor.float()


def top_predictions(scores: torch.Tensor, names: list[str], k: int = 5) -> list[Prediction]:
    """The ``k`` most probable classes of one row of scores (softmax over all classes)."""
    probs = torch.softmax(scores.float().flatten(), dim=0)
    values, indices = probs.topk(min(k, probs.numel()))
    return [Prediction(int(i), names[int(i)], float(p)) for p, i in zip(values, indices)]


def predictions(model: nn.Module, image, *, k: int = 5, preprocess=None) -> list[Prediction]:
    """The ``k`` most probable classes of ``image``, best first.

    Args:
        model: a classifier (left exactly as found).
        image: a PIL image, path, ``(H, W, 3)`` array or ``(3, H, W)`` tensor.
        k: how many rows (at most the number of classes).
        preprocess: as in :func:`cnnwidget.activations` (the model's own by default).

    Returns:
        A list of :class:`Prediction` ``(index, name, probability)``; names come
        from the weights' metadata (see :func:`~cnnwidget.engine.class_names.class_names`).

    Example:
        >>> cnnwidget.predictions(cnnwidget.load_model("default"), "stripes.png")[0]   # doctest: +SKIP
        Prediction(index=7, name='stripes_vertical', probability=0.998)
    """
    if int(k) < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    x = input_tensor(image, resolve_preprocess(preprocess, model))
    scores = model_output(model, x)[0]
    return top_predictions(scores, class_names(model, scores.numel()), int(k))
