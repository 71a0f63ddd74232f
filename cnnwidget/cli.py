"""The ``cnnwidget`` command: feature visualization and DeepDream from the shell.

::

    cnnwidget maximize resnet18 layer3.1:5 -o unit.png
    cnnwidget dream photo.jpg -o dream.png --model resnet18 --layer layer3
    cnnwidget gallery resnet18 layer3.1 -o grid.png --units 0:64
    cnnwidget atlas resnet50 --layers layer3,layer4 --out atlas-r50 [--ray]
    cnnwidget examples resnet50 photos/ --layers layer3,layer4 --k 9 --out ex-r50 [--ray]

MODEL is anything :func:`cnnwidget.models.load_model` reads: a torchvision
name (``resnet18``), ``timm:NAME``, ``package.module:attr``, a ``.pt`` file, or
``default`` (the offline model that ships with cnnwidget). ``--weights none``
gives random weights. Errors are printed as one line naming the fix, with
exit status 2.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

EXIT_USAGE = 2


class CLIError(Exception):
    """A user error reported as ``error: <message>`` with exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 on success, 2 on a user error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - user errors become one line; others re-raise
        if not _is_user_error(err):
            raise
        print(f"error: {_message(err)}", file=sys.stderr)
        return EXIT_USAGE
    return 0


# -- subcommands ---------------------------------------------------------------


def _maximize(args) -> None:
    from .engine.maximize import maximize

    model = _load(args)
    result = maximize(
        model, args.objective, steps=args.steps, size=args.size, batch=args.batch,
        image=args.image, param=args.param, lr=args.lr, seed=args.seed, progress=not args.quiet,
    )
    images = result if isinstance(result, list) else [result]
    out = _grid(images, [args.objective] * len(images)) if len(images) > 1 else images[0]
    _save(out, args.output)


def _dream(args) -> None:
    from .engine.deepdream import deepdream
    from .engine.images import load_image

    photo = load_image(args.image)  # fail on an unreadable image before loading a model
    model = _load(args)
    result = deepdream(
        model, photo, layers=args.layer or None, octaves=args.octaves, octave_scale=args.octave_scale,
        steps=args.steps, lr=args.lr, jitter=args.jitter, tile=args.tile, seed=args.seed,
        progress=not args.quiet,
    )
    _save(result, args.output)


def _gallery(args) -> None:
    from .engine.layer_catalog import find_layer
    from .engine.maximize import maximize

    model = _load(args)
    info = find_layer(model, args.layer, args.size)
    units = _units(args.units, info.channels)
    names = [f"{args.layer}:{u}" for u in units]
    images = maximize(model, names, steps=args.steps, size=args.size, lr=args.lr, seed=args.seed,
                      progress=not args.quiet)
    images = images if isinstance(images, list) else [images]
    _save(_grid(images, [str(u) for u in units], title=f"{args.layer} (units {args.units})", columns=args.columns),
          args.output)


# -- helpers -------------------------------------------------------------------


def _load(args):
    try:
        from .models import load_model
    except ImportError as err:  # pragma: no cover - the package ships it
        raise CLIError(f"cnnwidget.models is unavailable ({err}); reinstall cnnwidget") from None
    weights = None if str(args.weights).lower() == "none" else args.weights
    return load_model(args.model, weights=weights, device=args.device)


def _units(text: str, channels: int) -> list[int]:
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


def _grid(images: list[Image.Image], labels: list[str], title: str | None = None, columns: int | None = None) -> Image.Image:
    """Images in a grid, each labelled underneath; an optional title on top."""
    n = len(images)
    cols = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    w, h = images[0].size
    font_size = max(10, w // 10)
    font = _font(font_size)
    label_h, pad = font_size + 6, 4
    top = label_h + pad if title else 0
    sheet = Image.new("RGB", (cols * (w + pad) + pad, top + rows * (h + label_h + pad) + pad), "white")
    draw = ImageDraw.Draw(sheet)
    if title:
        draw.text((pad, pad), title, fill="black", font=font)
    for i, (img, label) in enumerate(zip(images, labels)):
        x = pad + (i % cols) * (w + pad)
        y = top + pad + (i // cols) * (h + label_h + pad)
        sheet.paste(img.resize((w, h)), (x, y))
        draw.text((x + 2, y + h + 2), label, fill="black", font=font)
    return sheet


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _save(image: Image.Image, path: str) -> None:
    out = Path(path)
    if not out.parent.exists():
        raise CLIError(f"the folder {str(out.parent)!r} does not exist; create it or choose another -o path")
    try:
        image.save(out)
    except (ValueError, KeyError):
        raise CLIError(f"cannot save {str(out)!r}: unknown picture format; end the name in .png or .jpg") from None
    print(f"saved {out}", file=sys.stderr)


def _is_user_error(err: Exception) -> bool:
    from .engine.images import ImageError
    from .engine.layer_catalog import LayerError
    from .engine.objectives import ObjectiveError

    user = [CLIError, ImageError, LayerError, ObjectiveError, FileNotFoundError]
    try:
        from .models import ModelSpecError, WeightsUnavailableError

        user += [ModelSpecError, WeightsUnavailableError]
    except ImportError:  # pragma: no cover
        pass
    return isinstance(err, tuple(user))


def _message(err: Exception) -> str:
    return str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnwidget", description="Feature visualization and DeepDream for convolutional networks."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p, steps: int, size: int | None):
        p.add_argument("-o", "--output", required=True, help="where to save the picture (.png or .jpg)")
        p.add_argument("--weights", default="DEFAULT",
                       help="pretrained weights: DEFAULT, a weights name, a file, or 'none' for random weights")
        p.add_argument("--steps", type=_positive, default=steps, help=f"optimization steps (default {steps})")
        if size is not None:
            p.add_argument("--size", type=_positive, default=size, help=f"picture side in pixels (default {size})")
        p.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same picture")
        p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps ... (default: where the model loads)")
        p.add_argument("--lr", type=float, default=None, help="learning rate / step size")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("maximize", help="optimize a picture that excites one unit",
                       description="Optimize a picture that makes OBJECTIVE large.")
    p.add_argument("model", metavar="MODEL", help="resnet18, timm:NAME, package.module:attr, a .pt file, or default")
    p.add_argument("objective", metavar="LAYER:CH",
                   help="'layer3.1:5' (channel), 'layer3.1:5@7,7' (neuron), 'layer3.1' (whole layer), '-layer3.1:5'")
    common(p, steps=256, size=224)
    p.add_argument("--batch", type=_positive, default=1, help="several pictures, saved as one grid")
    p.add_argument("--param", choices=["fft", "pixel"], default="fft", help="parameterization (default fft)")
    p.add_argument("--image", default=None, help="start from this picture instead of noise")
    p.set_defaults(run=_maximize)

    p = sub.add_parser("dream", help="DeepDream a photo", description="DeepDream IMAGE with a layer of MODEL.")
    p.add_argument("image", metavar="IMAGE", help="the photo (PNG, JPEG, ...)")
    p.add_argument("--model", required=True, help="resnet18, timm:NAME, package.module:attr, a .pt file, or default")
    p.add_argument("--layer", action="append", help="layer to amplify (repeat for several; default: a mid-level layer)")
    common(p, steps=10, size=None)
    p.set_defaults(lr=0.01)
    p.add_argument("--octaves", type=_positive, default=4, help="pyramid levels (default 4)")
    p.add_argument("--octave-scale", type=float, default=1.4, help="size ratio between levels (default 1.4)")
    p.add_argument("--jitter", type=int, default=32, help="largest random shift in pixels (default 32)")
    p.add_argument("--tile", type=_positive, default=512, help="tile side bounding memory (default 512)")
    p.set_defaults(run=_dream)

    p = sub.add_parser("gallery", help="one picture per unit of a layer, in one labelled grid",
                       description="Maximize many units of LAYER in one batched run; save a labelled grid.")
    p.add_argument("model", metavar="MODEL", help="resnet18, timm:NAME, package.module:attr, a .pt file, or default")
    p.add_argument("layer", metavar="LAYER", help="the layer, e.g. layer3.1")
    p.add_argument("--units", default="0:16", help="START:STOP[:STEP] or a list 3,5,9 (default 0:16)")
    p.add_argument("--columns", type=_positive, default=None, help="grid columns (default: a square grid)")
    common(p, steps=128, size=128)
    p.set_defaults(run=_gallery)

    from .atlas.cli import add_parser as add_atlas_parser  # cnnwidget atlas: see cnnwidget/atlas/cli.py

    add_atlas_parser(sub)
    from .dataset_examples.cli import add_parser as add_examples_parser  # cnnwidget examples

    add_examples_parser(sub)
    return parser


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
