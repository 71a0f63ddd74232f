"""The offline default model: :class:`DefaultNet` with the weights that ship in the package."""

from __future__ import annotations

from pathlib import Path

import torch

from ..engine.preprocessing import Preprocess
from .default_net import DefaultNet
from .weights import wants_random_weights

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "default_net.pt"
"""The shipped checkpoint, written by ``scripts/train_default_model.py``."""

CHECKPOINT_FORMAT = "cnnwidget.DefaultNet/1"


def default_model(weights: str | Path | None = "DEFAULT") -> DefaultNet:
    """The compact CNN trained by the project on procedurally generated images.

    Works offline: the weights (float16, a few MB) are inside the package. The
    model classifies 128 px pictures into 12 classes of shapes and textures
    (see ``docs/default-model.md``), and carries its preprocessing in
    ``cnnwidget_preprocess`` and its class names in ``cnnwidget_classes``.

    Args:
        weights: ``"DEFAULT"`` for the shipped weights, a path to another
            checkpoint written by the training script, or ``None`` for random
            initialization.

    Returns:
        A :class:`DefaultNet` in eval mode.

    Example:
        >>> model = default_model()
        >>> model.cnnwidget_preprocess.size
        128
    """
    if wants_random_weights(weights):
        from ..data.synthetic import CLASSES
        from ..engine.preprocessing import IMAGENET_MEAN, IMAGENET_STD

        model = DefaultNet(num_classes=len(CLASSES))
        return _dress(model, {"classes": list(CLASSES), "preprocess": {"size": 128, "mean": IMAGENET_MEAN, "std": IMAGENET_STD}})
    path = DEFAULT_WEIGHTS if isinstance(weights, str) and weights.upper() == "DEFAULT" else Path(weights)
    if not path.is_file():
        hint = " (reinstall cnnwidget, or run scripts/train_default_model.py)" if path == DEFAULT_WEIGHTS else ""
        raise FileNotFoundError(f"no default-model checkpoint at {path}{hint}")
    return from_checkpoint(torch.load(path, map_location="cpu", weights_only=True))


def is_default_checkpoint(obj) -> bool:
    """Whether ``obj`` (a loaded checkpoint) was written by the training script."""
    return isinstance(obj, dict) and str(obj.get("format", "")).startswith("cnnwidget.DefaultNet/")


def from_checkpoint(checkpoint: dict) -> DefaultNet:
    """A :class:`DefaultNet` built from a checkpoint dictionary of the training script."""
    if not is_default_checkpoint(checkpoint):
        raise ValueError("not a cnnwidget default-model checkpoint (its 'format' entry is missing)")
    state = {k: v.float() if v.is_floating_point() else v for k, v in checkpoint["state_dict"].items()}
    model = DefaultNet(num_classes=len(checkpoint["classes"]))
    model.load_state_dict(state)
    return _dress(model, checkpoint)


def _dress(model: DefaultNet, checkpoint: dict) -> DefaultNet:
    p = checkpoint["preprocess"]
    model.cnnwidget_preprocess = Preprocess(size=int(p["size"]), mean=tuple(p["mean"]), std=tuple(p["std"]))
    model.cnnwidget_classes = list(checkpoint["classes"])
    if "held_out_accuracy" in checkpoint:
        model.cnnwidget_accuracy = float(checkpoint["held_out_accuracy"])
    return model.eval()
