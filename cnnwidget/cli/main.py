"""The ``cnnwidget`` command: feature visualization and DeepDream from the shell.

::

    cnnwidget maximize resnet18 layer3.1:5 -o unit.png
    cnnwidget dream photo.jpg -o dream.png --model resnet18 --layer layer3
    cnnwidget gallery resnet18 layer3.1 -o grid.png --units 0:64
    cnnwidget atlas resnet50 --layers layer3,layer4 --out atlas-r50 [--ray] [--examples ex-r50]
    cnnwidget examples resnet50 photos/ --layers layer3,layer4 --k 9 --out ex-r50 [--ray]

MODEL is anything :func:`cnnwidget.models.load_model` reads: a torchvision
name (``resnet18``), ``timm:NAME``, ``package.module:attr``, a ``.pt`` file, or
``default`` (the offline model that ships with cnnwidget). ``--weights none``
gives random weights. Errors are printed as one line naming the fix, with
exit status 2; what was adapted to fit pictures to the model (its fixed input
size, its minimum size, its channels) is printed as ``note: ...`` lines.

One module per command (:mod:`.maximize`, :mod:`.dream`, :mod:`.gallery`,
:mod:`.atlas`, :mod:`.examples`), each with ``add_parser`` and ``run``; shared arguments in
:mod:`.arguments`, the error translation in :mod:`.errors`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from . import atlas, dream, examples, gallery, maximize
from .errors import run_reporting_errors
from .notes import input_notes_shown

COMMANDS = (maximize, dream, gallery, atlas, examples)
"""The command modules, in the order ``cnnwidget --help`` lists them."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 on success, 2 on a user error, 130 on Ctrl-C)."""
    args = build_parser().parse_args(argv)
    def run() -> None:
        with input_notes_shown():
            args.run(args)

    return run_reporting_errors(
        run,
        also_user_errors=getattr(args, "also_user_errors", ()),
        interrupted=getattr(args, "interrupted", "interrupted"),
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    parser = argparse.ArgumentParser(
        prog="cnnwidget", description="Feature visualization and DeepDream for convolutional networks."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


if __name__ == "__main__":
    sys.exit(main())
