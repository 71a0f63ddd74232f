"""``cnnwidget examples``: the images of a folder that fire each unit most, into an index directory.

::

    cnnwidget examples resnet50 photos/ --layers layer3,layer4 --k 9 --out ex-r50
    cnnwidget examples resnet50 photos/ --layers layer4 --out ex-r50 --ray         # Ray: this cluster or a local Ray
    cnnwidget examples resnet50 photos/ --layers layer4 --out ex-r50 --ray HOST:6379

Rerun the same command to resume: finished shards are kept. The main command line
registers this subcommand with :func:`add_parser`; ``python -m
cnnwidget.dataset_examples.cli MODEL SOURCE ...`` runs it alone. User errors print one
line, ``error: ...`` naming the fix, and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

MODEL_HELP = "resnet18, timm:NAME, package.module:attr, a .pt file, or default"
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``examples`` subcommand on ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "examples", help="which of your images fire each unit most: top-k crops per unit, resumable, local or Ray",
        description="For every unit of LAYERS, keep the K images of SOURCE where it peaks highest, with their "
                    "receptive-field crops, in an index directory OUT (SQLite + crops).",
    )
    _arguments(p)
    p.set_defaults(run=_run_in_main_cli)
    return p


def run(args) -> None:
    """Make (or resume) the index that ``args`` describe; print a summary to stderr."""
    from .api import dataset_examples

    weights = None if str(args.weights).lower() == "none" else args.weights
    index = dataset_examples(
        args.model, args.source, args.layers, k=args.k, out=args.out, batch=args.batch,
        executor="ray" if args.ray else "local", address=None if args.ray in (None, "auto") else args.ray,
        progress=not args.quiet, lowest=args.lowest, weights=weights, workers=args.workers, crop=args.crop,
    )
    print(f"examples {index.root}: {index.report}", file=sys.stderr)
    print(f"read them with cnnwidget.ExampleIndex.open({str(index.root)!r}) or "
          f"CNNExplorer(model, examples={str(index.root)!r})", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cnnwidget.dataset_examples.cli``: exit 0, 2 on a user error (one line), 130 when interrupted."""
    parser = argparse.ArgumentParser(prog="cnnwidget examples", description=add_parser.__doc__)
    _arguments(parser)
    args = parser.parse_args(argv)
    try:
        _run_in_main_cli(args)
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    p.add_argument("source", metavar="SOURCE", help="a folder of pictures (searched recursively) or one picture")
    p.add_argument("--layers", required=True, help="comma-separated layer names, e.g. layer3,layer4")
    p.add_argument("--out", required=True, help="the index directory (new or empty; rerun to resume)")
    p.add_argument("--k", type=_positive, default=9, help="images kept per unit (default 9)")
    p.add_argument("--lowest", action="store_true", help="also keep the K images where each unit is lowest")
    p.add_argument("--batch", type=_positive, default=None, help="images per forward pass (default 64 GPU, 32 CPU)")
    p.add_argument("--crop", type=_positive, default=128, help="longest side of the saved crops (default 128)")
    p.add_argument("--weights", default="DEFAULT",
                   help="pretrained weights: DEFAULT, a weights name, a file, or 'none' for random weights")
    p.add_argument("--ray", nargs="?", const="auto", default=None, metavar="ADDRESS",
                   help="run on Ray Data: the cluster at ADDRESS, or (no ADDRESS, or 'auto') this machine's "
                        "cluster or a local Ray")
    p.add_argument("--workers", type=int, default=None,
                   help="decoding processes (local; default cores-1) or model actors (Ray; default 1 per GPU or 2)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _run_in_main_cli(args) -> None:
    try:
        run(args)
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        raise SystemExit(EXIT_INTERRUPTED) from None
    except Exception as err:  # noqa: BLE001 - user errors become one line; others re-raise
        if not _is_user_error(err):
            raise
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _is_user_error(err: Exception) -> bool:
    from ..engine.images import ImageError
    from ..engine.layer_catalog import LayerError
    from ..models import ModelSpecError, WeightsUnavailableError
    from .sources import ExamplesError

    return isinstance(err, (ExamplesError, ImageError, LayerError, ModelSpecError, WeightsUnavailableError,
                            FileNotFoundError, ValueError))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
