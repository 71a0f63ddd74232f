"""``cnnwidget atlas``: the picture of every unit of some layers, into a browsable directory.

::

    cnnwidget atlas resnet50 --layers layer3,layer4 --out atlas-resnet50 --steps 128 --size 128
    cnnwidget atlas resnet50 --layers layer4 --out atlas --ray              # a Ray cluster (or a local Ray)
    cnnwidget atlas resnet50 --layers layer4 --out atlas --ray HOST:6379    # that cluster

Rerun the same command to resume: finished units are skipped. The main command line
(:mod:`cnnwidget.cli`) registers this subcommand with :func:`add_parser`; ``python -m
cnnwidget.atlas.cli MODEL ...`` runs it alone.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..cli import _positive

MODEL_HELP = "resnet18, timm:NAME, package.module:attr, a .pt file, or default"


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``atlas`` subcommand on ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "atlas", help="one picture per unit of whole layers, resumable, local or on Ray",
        description="Maximize every unit of LAYERS; save one PNG each, atlas.json and index.html in OUT.",
    )
    _arguments(p)
    p.set_defaults(run=_run_in_main_cli)
    return p


def run(args) -> None:
    """Make (or resume) the atlas that ``args`` describe; print a summary to stderr."""
    from .api import atlas

    weights = None if str(args.weights).lower() == "none" else args.weights
    result = atlas(
        args.model, args.layers, args.out, units=args.units, steps=args.steps, size=args.size,
        batch=args.batch, seed=args.seed, param=args.param, precision=args.precision, weights=weights,
        executor="ray" if args.ray else "local", address=None if args.ray in (None, "auto") else args.ray,
        workers=args.workers, threads=args.threads, progress=not args.quiet, examples=args.examples,
    )
    print(result, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cnnwidget.atlas.cli``: exit 0, 2 on a user error (one line), 130 when interrupted."""
    parser = argparse.ArgumentParser(prog="cnnwidget atlas", description=add_parser.__doc__)
    _arguments(parser)
    args = parser.parse_args(argv)
    try:
        run(args)
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - user errors become one line; others re-raise
        if not _is_user_error(err):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    p.add_argument("--layers", required=True, help="comma-separated layer names, e.g. layer3,layer4")
    p.add_argument("--out", required=True, help="the atlas directory (created; rerun to resume)")
    p.add_argument("--units", default=None, help="channels of each layer: START:STOP[:STEP] or 3,5,9 (default all)")
    p.add_argument("--steps", type=_positive, default=128, help="optimization steps per unit (default 128)")
    p.add_argument("--size", type=_positive, default=128, help="picture side in pixels (default 128)")
    p.add_argument("--batch", type=_positive, default=16, help="units per task, maximized together (default 16)")
    p.add_argument("--seed", type=int, default=0, help="global seed (default 0); same seed, same pictures")
    p.add_argument("--param", choices=["fft", "pixel"], default="fft", help="parameterization (default fft)")
    p.add_argument("--precision", choices=["float32", "auto"], default="float32",
                   help="float32 (default, reproducible) or auto (bfloat16 where native: faster)")
    p.add_argument("--weights", default="DEFAULT",
                   help="pretrained weights: DEFAULT, a weights name, a file, or 'none' for random weights")
    p.add_argument("--ray", nargs="?", const="auto", default=None, metavar="ADDRESS",
                   help="run on Ray: the cluster at ADDRESS, or (no ADDRESS) this machine's cluster or a local Ray")
    p.add_argument("--workers", type=int, default=None, help="local processes (default: one per core; 0: this process)")
    p.add_argument("--threads", type=_positive, default=None, help="torch threads per local process (default: cores/workers)")
    p.add_argument("--examples", default=None, metavar="DIR",
                   help="a `cnnwidget examples` directory of the same model: index.html shows each unit's top crops")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _run_in_main_cli(args) -> None:
    try:
        run(args)
    except Exception as err:
        if _is_user_error(err) and not _known_to_main_cli(err):
            from ..cli import CLIError

            raise CLIError(str(err)) from None
        raise


def _is_user_error(err: Exception) -> bool:
    from ..engine.layer_catalog import LayerError
    from ..models import ModelSpecError, WeightsUnavailableError
    from .store import AtlasError

    return isinstance(err, (AtlasError, LayerError, ModelSpecError, WeightsUnavailableError, FileNotFoundError,
                            ValueError))


def _known_to_main_cli(err: Exception) -> bool:
    from ..engine.layer_catalog import LayerError
    from ..models import ModelSpecError, WeightsUnavailableError

    return isinstance(err, (LayerError, ModelSpecError, WeightsUnavailableError, FileNotFoundError))


if __name__ == "__main__":
    sys.exit(main())
