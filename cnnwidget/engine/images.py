"""Turn whatever a user holds into an RGB PIL image, with errors that name the fix."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 64_000_000
"""Largest image (in pixels) we decode; larger files are refused as likely decompression bombs."""


class ImageError(ValueError):
    """An input that cannot be read as an image; the message says how to fix it."""


def load_image(image) -> Image.Image:
    """Return ``image`` as an RGB :class:`PIL.Image.Image`.

    Accepts a PIL image, a file path (``str`` or ``Path``), encoded file bytes,
    an ``(H, W)`` / ``(H, W, 1|3|4)`` numpy array (``uint8``, ``uint16`` or float
    in [0, 1]), or a ``(3, H, W)`` / ``(1, 3, H, W)`` tensor with values in [0, 1].
    """
    if isinstance(image, Image.Image):
        return _to_rgb(image)
    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if not path.is_file():
            raise ImageError(f"no image file at {str(path)!r}; check the path")
        return decode_image(path.read_bytes(), str(path))
    if isinstance(image, (bytes, bytearray, memoryview)):
        return decode_image(bytes(image), "the uploaded bytes")
    if isinstance(image, torch.Tensor):
        tensor = image.detach().float().cpu()
        if tensor.dim() == 4 and tensor.shape[0] == 1:
            tensor = tensor[0]
        if tensor.dim() != 3 or tensor.shape[0] not in (1, 3, 4):
            raise ImageError(
                f"a tensor image must be (3, H, W) with values in [0, 1]; got shape {tuple(image.shape)}"
            )
        return load_image(tensor.permute(1, 2, 0).numpy())
    if isinstance(image, np.ndarray):
        return _from_array(image)
    raise ImageError(
        f"cannot read an image from {type(image).__name__}; pass a PIL image, a file path, "
        "an (H, W, 3) uint8 array or a (3, H, W) tensor"
    )


def decode_image(data: bytes, what: str = "the file") -> Image.Image:
    """Decode encoded image bytes (PNG, JPEG, ...) to RGB; ``what`` names the source in errors."""
    if not data:
        raise ImageError(f"{what} is empty; choose a PNG or JPEG file")
    try:
        with Image.open(io.BytesIO(data)) as img:
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ImageError(
                    f"{what} is {w}x{h} pixels, more than the {MAX_PIXELS:,} allowed; resize it first"
                )
            img.load()
            return _to_rgb(img)
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as err:
        raise ImageError(
            f"{what} is not a readable image ({err.__class__.__name__}); use a PNG or JPEG file"
        ) from None


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = arr.max() or 1.0
        img = Image.fromarray((arr / top * 255).astype(np.uint8))
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def _from_array(arr: np.ndarray) -> Image.Image:
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)):
        raise ImageError(
            f"an array image must be (H, W), (H, W, 3) or (H, W, 4); got shape {arr.shape}"
        )
    if arr.size == 0 or min(arr.shape[:2]) < 1:
        raise ImageError("the image array is empty")
    if arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        raise ImageError(f"the image array is {arr.shape[1]}x{arr.shape[0]}; resize it first")
    if arr.dtype == np.uint8:
        out = arr
    elif arr.dtype == np.uint16:
        out = (arr / 257.0).round().astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.floating) or arr.dtype == np.bool_:
        values = arr.astype(np.float32)
        if not np.isfinite(values).all():
            raise ImageError("the image array holds NaN or infinite values; clean it first")
        if values.max(initial=0) > 1.0 + 1e-6:
            values = values / 255.0
        out = (np.clip(values, 0.0, 1.0) * 255).round().astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.integer):
        out = np.clip(arr, 0, 255).astype(np.uint8)
    else:
        raise ImageError(f"unsupported array dtype {arr.dtype}; use uint8 or float in [0, 1]")
    img = Image.fromarray(np.ascontiguousarray(out))
    return _to_rgb(img)
