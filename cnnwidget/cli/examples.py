"""``cnnwidget examples``: the images of a folder that fire each unit most, into an index directory.

::

    cnnwidget examples resnet50 photos/ --layers layer3,layer4 --k 9 --out ex-r50
    cnnwidget examples resnet50 photos/ --layers layer4 --out ex-r50 --ray         # Ray: this cluster or a local Ray
    cnnwidget examples resnet50 photos/ --layers layer4 --out ex-r50 --ray HOST:6379

Rerun the same command to resume: finished shards are kept. The work itself is
:func:`cnnwidget.dataset_examples` (the :mod:`cnnwidget.dataset_examples` room).
"""

from __future__ import annotations

import argparse
import sys

from .arguments import add_model, add_quiet, add_weights, positive


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``examples`` subcommand on ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "examples", help="which of your images fire each unit most: top-k crops per unit, resumable, local or Ray",
        description="For every unit of LAYERS, keep the K images of SOURCE where it peaks highest, with their "
                    "receptive-field crops, in an index directory OUT (SQLite + crops).",
    )
    add_model(p)
    p.add_argument("source", metavar="SOURCE", help="a folder of pictures (searched recursively) or one picture")
    p.add_argument("--layers", required=True, help="comma-separated layer names, e.g. layer3,layer4")
    p.add_argument("--out", required=True, help="the index directory (new or empty; rerun to resume)")
    p.add_argument("--k", type=positive, default=9, help="images kept per unit (default 9)")
    p.add_argument("--lowest", action="store_true", help="also keep the K images where each unit is lowest")
    p.add_argument("--batch", type=positive, default=None, help="images per forward pass (default 64 GPU, 32 CPU)")
    p.add_argument("--crop", type=positive, default=128, help="longest side of the saved crops (default 128)")
    add_weights(p)
    p.add_argument("--ray", nargs="?", const="auto", default=None, metavar="ADDRESS",
                   help="run on Ray Data: the cluster at ADDRESS, or (no ADDRESS, or 'auto') this machine's "
                        "cluster or a local Ray")
    p.add_argument("--workers", type=int, default=None,
                   help="decoding processes (local; default cores-1) or model actors (Ray; default 1 per GPU or 2)")
    add_quiet(p)
    # Besides ExamplesError (a source or out directory: a user error of every command), the
    # examples API names bad settings (no layer, an executor) with a ValueError.
    p.set_defaults(run=run, also_user_errors=(ValueError,),
                   interrupted="interrupted; rerun the same command to resume")
    return p


def run(args) -> None:
    """Make (or resume) the index that ``args`` describe; print a summary to stderr."""
    from ..dataset_examples.api import dataset_examples

    index = dataset_examples(
        args.model, args.source, args.layers, k=args.k, out=args.out, batch=args.batch,
        executor="ray" if args.ray else "local", address=None if args.ray in (None, "auto") else args.ray,
        progress=not args.quiet, lowest=args.lowest, weights=args.weights, workers=args.workers, crop=args.crop,
    )
    print(f"examples {index.root}: {index.report}", file=sys.stderr)
    print(f"read them with cnnwidget.ExampleIndex.open({str(index.root)!r}) or "
          f"CNNExplorer(model, examples={str(index.root)!r})", file=sys.stderr)
