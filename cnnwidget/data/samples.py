"""The sample photos that ship inside the package, usable offline: the one place that looks them up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
"""Folder holding the bundled photos and their licences (``README.md``)."""

PREFERRED_SAMPLE = "chelsea"
"""The sample an explorer starts with (a cat), when it ships."""


class SampleError(KeyError, ValueError):
    """No bundled sample has that name; the message lists the ones there are.

    A ``KeyError`` (a name looked up) and a ``ValueError`` (a bad argument), so
    either ``except`` catches it.
    """

    def __str__(self) -> str:  # the message itself, not KeyError's quoted repr
        return str(self.args[0]) if self.args else ""


def samples() -> dict[str, Path]:
    """The bundled sample photos, as ``{name: path}`` sorted by name.

    Real photos in the public domain or under CC0 (from scikit-image's data;
    sources and licences in ``cnnwidget/samples/README.md``), at most 512 px
    on the longer side. Any image argument of cnnwidget accepts the paths.

    Example:
        >>> import cnnwidget
        >>> sorted(cnnwidget.samples())[:3]
        ['astronaut', 'camera', 'chelsea']
    """
    return {p.stem: p for p in sorted(SAMPLES_DIR.glob("*.jpg"))}


def sample_path(name: str) -> Path:
    """Path of the bundled sample photo ``name``.

    Raises:
        SampleError: the name is not a bundled sample; the message lists the ones there are.
    """
    paths = samples()
    if name not in paths:
        raise SampleError(f"no sample called {name!r}; choose one of {', '.join(paths)}")
    return paths[name]


def sample(name: str) -> Image.Image:
    """One bundled sample photo as an RGB PIL image.

    Args:
        name: a key of :func:`samples`, e.g. ``"chelsea"``.

    Raises:
        SampleError: the name is not a bundled sample; the message lists the ones there are.
    """
    with Image.open(sample_path(name)) as img:
        return img.convert("RGB")


def default_image():
    """The explorer's first picture: the cat sample (or the first sample), or synthetic shapes when none ships."""
    paths = samples()
    if paths:
        return paths[PREFERRED_SAMPLE] if PREFERRED_SAMPLE in paths else next(iter(paths.values()))
    return drawn_picture()


def drawn_picture(size: int = 256) -> Image.Image:
    """A colourful picture with edges, a disc and stripes, made without any file."""
    y, x = np.mgrid[0:size, 0:size] / size
    rgb = np.stack([x, y, 1 - x], axis=-1) * 0.6
    disc = (x - 0.35) ** 2 + (y - 0.4) ** 2 < 0.04
    rgb[disc] = (0.95, 0.8, 0.1)
    stripes = (np.sin(x * 60) > 0) & (y > 0.6)
    rgb[stripes] = (0.1, 0.1, 0.1)
    return Image.fromarray((rgb * 255).astype(np.uint8))
