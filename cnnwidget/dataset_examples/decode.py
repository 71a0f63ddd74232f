"""Decode one image file for the scan, or say in a few words why it is skipped.

Every failure becomes a :class:`SkipImage` with a short reason (``empty file``,
``not an image``, ``truncated``, ``decompression bomb``, ``corrupt``), so a bad
file costs one line in the report, never the job. CMYK, 16-bit, alpha, palette and
grayscale pictures are converted to RGB (alpha over white, 16-bit scaled to its
own maximum), as :func:`cnnwidget.load_image` does.
"""

from __future__ import annotations

import os

from PIL import Image, ImageFile, UnidentifiedImageError

from ..engine.images import MAX_PIXELS, ImageError, load_image

EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
"""File name endings searched for in a folder (any case)."""


class SkipImage(Exception):
    """An item that cannot be used; ``reason`` is what the report shows."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_file(path: str, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """The RGB picture in the file at ``path``; :class:`SkipImage` when it cannot be one.

    The size in the header is checked before any pixel is decoded, so a file that
    claims more than ``max_pixels`` pixels (a decompression bomb) costs nothing.
    """
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is reported, not half-read
    try:
        if os.path.getsize(path) == 0:
            raise SkipImage("empty file")
        with Image.open(path) as img:
            w, h = img.size
            if w * h > max_pixels:
                raise SkipImage(f"decompression bomb: {w}x{h} pixels, more than {max_pixels:,}")
            try:
                img.load()
            except OSError as err:
                raise SkipImage("truncated" if "truncated" in str(err) else f"corrupt ({err})") from None
            return to_rgb(img)
    except SkipImage:
        raise
    except UnidentifiedImageError:
        raise SkipImage("not an image") from None
    except Image.DecompressionBombError as err:
        raise SkipImage(f"decompression bomb ({err})") from None
    except (OSError, ValueError, SyntaxError) as err:
        raise SkipImage(f"corrupt ({err.__class__.__name__}: {err})") from None


def to_rgb(image) -> Image.Image:
    """Any picture a data set may hold (PIL of any mode, array, tensor) as RGB; :class:`SkipImage` if none."""
    if isinstance(image, Image.Image) and image.width * image.height > MAX_PIXELS:
        raise SkipImage(f"decompression bomb: {image.width}x{image.height} pixels, more than {MAX_PIXELS:,}")
    try:
        return load_image(image)
    except (ImageError, OSError, ValueError, TypeError) as err:
        raise SkipImage(f"not an image ({err})") from None


__all__ = ["EXTENSIONS", "SkipImage", "decode_file", "to_rgb"]
