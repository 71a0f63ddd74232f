"""``cnnwidget dream photo.jpg -o dream.png --model MODEL``: DeepDream a photo."""

from __future__ import annotations

import argparse

from .arguments import add_model, add_picture_run, load_model_of, positive
from .pictures import save


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``dream`` command on ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser("dream", help="DeepDream a photo", description="DeepDream IMAGE with a layer of MODEL.")
    p.add_argument("image", metavar="IMAGE", help="the photo (PNG, JPEG, ...)")
    add_model(p, option=True)
    p.add_argument("--layer", action="append", help="layer to amplify (repeat for several; default: a mid-level layer)")
    add_picture_run(p, steps=10, size=None)
    p.set_defaults(lr=0.01)
    p.add_argument("--octaves", type=positive, default=4, help="pyramid levels (default 4)")
    p.add_argument("--octave-scale", type=float, default=1.4, help="size ratio between levels (default 1.4)")
    p.add_argument("--jitter", type=int, default=32, help="largest random shift in pixels (default 32)")
    p.add_argument("--tile", type=positive, default=512, help="tile side bounding memory (default 512)")
    p.set_defaults(run=run)
    return p


def run(args) -> None:
    """DeepDream ``args.image`` and save it."""
    from ..engine.deepdream import deepdream
    from ..engine.images import load_image

    photo = load_image(args.image)  # fail on an unreadable image before loading a model
    model = load_model_of(args)
    result = deepdream(
        model, photo, layers=args.layer or None, octaves=args.octaves, octave_scale=args.octave_scale,
        steps=args.steps, lr=args.lr, jitter=args.jitter, tile=args.tile, seed=args.seed,
        progress=not args.quiet,
    )
    save(result, args.output)
