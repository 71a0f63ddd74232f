"""``cnnwidget maximize MODEL LAYER:CH -o unit.png``: the picture one unit wants to see."""

from __future__ import annotations

import argparse

from .arguments import add_model, add_param, add_picture_run, load_model_of, positive
from .pictures import grid, save


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``maximize`` command on ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser("maximize", help="optimize a picture that excites one unit",
                              description="Optimize a picture that makes OBJECTIVE large.")
    add_model(p)
    p.add_argument("objective", metavar="LAYER:CH",
                   help="'layer3.1:5' (channel), 'layer3.1:5@7,7' (neuron), 'layer3.1' (whole layer), '-layer3.1:5'")
    add_picture_run(p, steps=176, size=224)
    p.add_argument("--batch", type=positive, default=1, help="several pictures, saved as one grid")
    add_param(p)
    p.add_argument("--image", default=None, help="start from this picture instead of noise")
    p.add_argument("--mask", default=None, metavar="FILE",
                   help="also save the transparency mask (white where the unit looked) to FILE")
    p.set_defaults(run=run)
    return p


def run(args) -> None:
    """Maximize ``args.objective`` and save the picture (a grid for a batch)."""
    from ..engine.maximize import maximize

    model = load_model_of(args)
    result, masks = maximize(
        model, args.objective, steps=args.steps, size=args.size, batch=args.batch,
        image=args.image, param=args.param, lr=args.lr, seed=args.seed, progress=not args.quiet, mask=True,
    )
    images = result if isinstance(result, list) else [result]
    out = grid(images, [args.objective] * len(images)) if len(images) > 1 else images[0]
    save(out, args.output)
    if args.mask:
        masks = masks if isinstance(masks, list) else [masks]
        save(grid(masks, [args.objective] * len(masks)) if len(masks) > 1 else masks[0], args.mask)
