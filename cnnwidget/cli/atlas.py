"""``cnnwidget atlas``: the picture of every unit of some layers, into a browsable directory.

::

    cnnwidget atlas resnet50 --layers layer3,layer4 --out atlas-resnet50 --steps 128 --size 128
    cnnwidget atlas resnet50 --layers layer4 --out atlas --ray              # a Ray cluster (or a local Ray)
    cnnwidget atlas resnet50 --layers layer4 --out atlas --ray HOST:6379    # that cluster
    cnnwidget atlas resnet50 --layers layer4 --out atlas --examples ex-r50  # index.html: top crops too

Rerun the same command to resume: finished units are skipped.
"""

from __future__ import annotations

import argparse
import sys

from .arguments import add_model, add_param, add_quiet, add_seed, add_steps_and_size, add_weights, positive


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``atlas`` subcommand on ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "atlas", help="one picture per unit of whole layers, resumable, local or on Ray",
        description="Maximize every unit of LAYERS; save one PNG each, atlas.json and index.html in OUT.",
    )
    add_model(p)
    p.add_argument("--layers", required=True, help="comma-separated layer names, e.g. layer3,layer4")
    p.add_argument("--out", required=True, help="the atlas directory (created; rerun to resume)")
    p.add_argument("--units", default=None, help="channels of each layer: START:STOP[:STEP] or 3,5,9 (default all)")
    add_steps_and_size(p, steps=128, size=128, what=" per unit")
    p.add_argument("--batch", type=positive, default=16, help="units per task, maximized together (default 16)")
    add_seed(p, what="global seed", same="pictures")
    add_param(p, default="fft")
    p.add_argument("--precision", choices=["float32", "auto"], default="float32",
                   help="float32 (default, reproducible) or auto (bfloat16 where native: faster)")
    add_weights(p)
    p.add_argument("--ray", nargs="?", const="auto", default=None, metavar="ADDRESS",
                   help="run on Ray: the cluster at ADDRESS, or (no ADDRESS) this machine's cluster or a local Ray")
    p.add_argument("--workers", type=int, default=None, help="local processes (default: one per core; 0: this process)")
    p.add_argument("--threads", type=positive, default=None, help="torch threads per local process (default: cores/workers)")
    p.add_argument("--examples", default=None, metavar="DIR",
                   help="a `cnnwidget examples` directory of the same model: index.html shows each unit's top crops")
    add_quiet(p)
    # The atlas API names bad settings (a layer list, units, an executor) with a ValueError.
    p.set_defaults(run=run, also_user_errors=(ValueError,), interrupted="interrupted; rerun the same command to resume")
    return p


def run(args) -> None:
    """Make (or resume) the atlas that ``args`` describe; print a summary to stderr."""
    from ..atlas.api import build_atlas

    result = build_atlas(
        args.model, args.layers, args.out, units=args.units, steps=args.steps, size=args.size,
        batch=args.batch, seed=args.seed, param=args.param, precision=args.precision, weights=args.weights,
        executor="ray" if args.ray else "local", address=None if args.ray in (None, "auto") else args.ray,
        workers=args.workers, threads=args.threads, progress=not args.quiet, examples=args.examples,
    )
    print(result, file=sys.stderr)
