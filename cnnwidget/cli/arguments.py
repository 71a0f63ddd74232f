"""Arguments shared by the commands, each written once: the model, its weights, steps, seeds, output."""

from __future__ import annotations

import argparse

MODEL_HELP = "resnet18, timm:NAME, package.module:attr, a .pt file, or default"
"""What MODEL may be (anything :func:`cnnwidget.models.load_model` reads)."""

WEIGHTS_HELP = "pretrained weights: DEFAULT, a weights name, a file, or 'none' for random weights"


def positive(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_model(p: argparse.ArgumentParser, *, option: bool = False) -> None:
    """MODEL, as a positional argument or (``option``) as a required ``--model``."""
    if option:
        p.add_argument("--model", required=True, help=MODEL_HELP)
    else:
        p.add_argument("model", metavar="MODEL", help=MODEL_HELP)


def add_weights(p: argparse.ArgumentParser) -> None:
    """``--weights`` (DEFAULT, a name, a file, or ``none``; :func:`cnnwidget.models.load_model` reads it)."""
    p.add_argument("--weights", default="DEFAULT", help=WEIGHTS_HELP)


def add_steps_and_size(p: argparse.ArgumentParser, steps: int, size: int | None, *, what: str = "") -> None:
    """``--steps`` and (unless ``size`` is None) ``--size``, with their defaults in the help."""
    p.add_argument("--steps", type=positive, default=steps, help=f"optimization steps{what} (default {steps})")
    if size is not None:
        p.add_argument("--size", type=positive, default=size, help=f"picture side in pixels (default {size})")


def add_seed(p: argparse.ArgumentParser, *, what: str = "random seed", same: str = "picture") -> None:
    """``--seed`` (default 0)."""
    p.add_argument("--seed", type=int, default=0, help=f"{what} (default 0); same seed, same {same}")


def add_param(p: argparse.ArgumentParser, default: str | None = None) -> None:
    """``--param soft|fft|maco|pixel``; ``default`` None means the engine's default parameterization."""
    from ..engine.maximize import DEFAULT_PARAM
    from ..engine.parameterization import PARAMS

    default = default or DEFAULT_PARAM
    p.add_argument("--param", choices=list(PARAMS), default=default,
                   help="parameterization: soft (Fourier, soft value range: no clipped pixels), fft (Fourier), "
                   f"maco (natural photos' amplitudes, phases optimized) or pixel (default {default})")


def add_quiet(p: argparse.ArgumentParser) -> None:
    """``-q/--quiet``: no progress bar."""
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def add_picture_run(p: argparse.ArgumentParser, steps: int, size: int | None) -> None:
    """The arguments of a command that optimizes one picture file: output, weights, steps, size, seed,
    device, learning rate, quiet."""
    p.add_argument("-o", "--output", required=True, help="where to save the picture (.png or .jpg)")
    add_weights(p)
    add_steps_and_size(p, steps, size)
    add_seed(p)
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps ... (default: where the model loads)")
    p.add_argument("--lr", type=float, default=None, help="learning rate / step size")
    add_quiet(p)


def load_model_of(args):
    """The model that ``args.model``, ``args.weights`` and ``args.device`` name."""
    from ..models import load_model

    return load_model(args.model, weights=args.weights, device=args.device)
