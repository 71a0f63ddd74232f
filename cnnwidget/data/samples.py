"""The sample photos that ship inside the package, usable offline."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
"""Folder holding the bundled photos and their licences (``README.md``)."""


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


def sample(name: str) -> Image.Image:
    """One bundled sample photo as an RGB PIL image.

    Args:
        name: a key of :func:`samples`, e.g. ``"chelsea"``.

    Raises:
        KeyError: the name is not a bundled sample; the message lists the ones there are.
    """
    paths = samples()
    if name not in paths:
        raise KeyError(f"no sample named {name!r}; choose one of {', '.join(paths)}")
    with Image.open(paths[name]) as img:
        return img.convert("RGB")
