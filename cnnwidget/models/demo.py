"""Pick the model for the demo: a pretrained ImageNet network when its weights are here, else the default."""

from __future__ import annotations

from typing import NamedTuple

from torch import nn

from .default_model import default_model
from .hub import cached_weights_path

DEMO_CANDIDATES = ("googlenet", "resnet50", "resnet18")
"""torchvision models the demo prefers, best first, if their weights are already cached."""


class DemoChoice(NamedTuple):
    """What :func:`pick_demo_model` chose.

    Attributes:
        model: the model, in eval mode, with its preprocessing attached.
        spec: the spec that loads it again (``"googlenet"``, ``"default"`` …).
        notice: ``None``, or a one-line notice saying how to get the pretrained model.
    """

    model: nn.Module
    spec: str
    notice: str | None


def pick_demo_model(candidates: tuple[str, ...] = DEMO_CANDIDATES) -> DemoChoice:
    """The pretrained torchvision model of ``candidates`` whose weights are cached, else the default model.

    Never touches the network: a candidate counts only when its weights file is
    already in ``torch.hub.get_dir()/checkpoints``.

    Example:
        >>> model, spec, notice = pick_demo_model()
        >>> if notice:
        ...     print(notice)
    """
    from torchvision.models import get_model_weights

    from .loading import load_model

    for name in candidates:
        weights = get_model_weights(name).DEFAULT
        if cached_weights_path(weights).is_file():
            return DemoChoice(load_model(name), name, None)
    first = get_model_weights(candidates[0]).DEFAULT
    path = cached_weights_path(first)
    notice = (
        f"Using cnnwidget's offline default model; for pretrained {candidates[0]} put "
        f"{path.name} ({first.url}) in {path.parent}, or run cnnwidget.load_model({candidates[0]!r}) once online."
    )
    return DemoChoice(default_model(), "default", notice)
