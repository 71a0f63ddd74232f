"""Saving the commands' pictures: one file, or many in a labelled grid."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .errors import CLIError


def grid(images: list[Image.Image], labels: list[str], title: str | None = None, columns: int | None = None) -> Image.Image:
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


def save(image: Image.Image, path: str) -> None:
    """Save ``image`` at ``path`` (format from the suffix); a :class:`CLIError` naming the fix otherwise."""
    out = Path(path)
    if not out.parent.exists():
        raise CLIError(f"the folder {str(out.parent)!r} does not exist; create it or choose another -o path")
    try:
        image.save(out)
    except (ValueError, KeyError):
        raise CLIError(f"cannot save {str(out)!r}: unknown picture format; end the name in .png or .jpg") from None
    print(f"saved {out}", file=sys.stderr)
