"""``cnnwidget gallery MODEL LAYER -o grid.png --units 0:64``: many units of a layer in one labelled grid."""

from __future__ import annotations

import argparse

from .arguments import add_model, add_param, add_picture_run, load_model_of, positive
from .errors import CLIError
from .pictures import grid, save


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``gallery`` command on ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser("gallery", help="one picture per unit of a layer, in one labelled grid",
                              description="Maximize many units of LAYER in one batched run; save a labelled grid.")
    add_model(p)
    p.add_argument("layer", metavar="LAYER", help="the layer, e.g. layer3.1")
    p.add_argument("--units", default="0:16", help="START:STOP[:STEP] or a list 3,5,9 (default 0:16)")
    p.add_argument("--columns", type=positive, default=None, help="grid columns (default: a square grid)")
    add_picture_run(p, steps=176, size=128)
    add_param(p)
    p.set_defaults(run=run)
    return p


def run(args) -> None:
    """Maximize the chosen units of ``args.layer`` in one batch and save the labelled grid."""
    from ..engine.layer_catalog import find_layer
    from ..engine.maximize import maximize

    model = load_model_of(args)
    info = find_layer(model, args.layer, args.size)
    units = parse_units(args.units, info.channels)
    names = [f"{args.layer}:{u}" for u in units]
    images = maximize(model, names, steps=args.steps, size=args.size, lr=args.lr, seed=args.seed,
                      param=args.param, progress=not args.quiet)
    images = images if isinstance(images, list) else [images]
    save(grid(images, [str(u) for u in units], title=f"{args.layer} (units {args.units})", columns=args.columns),
         args.output)


def parse_units(text: str, channels: int) -> list[int]:
    """``"0:64"``, ``"0:64:4"`` or ``"3,5,9"`` to a list of channels, checked against ``channels``."""
    try:
        if ":" in text:
            parts = [int(p) if p else None for p in text.split(":")]
            if len(parts) > 3:
                raise ValueError
            units = list(range(channels))[slice(*parts)]
        else:
            units = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise CLIError(f"cannot read --units {text!r}; write START:STOP (e.g. 0:64), START:STOP:STEP or 3,5,9") from None
    bad = [u for u in units if not 0 <= u < channels]
    if bad:
        raise CLIError(f"unit(s) {bad} out of range: the layer has {channels} channels, use 0..{channels - 1}")
    if not units:
        raise CLIError(f"--units {text!r} selects no unit of the {channels} channels; try 0:{min(channels, 64)}")
    return units
