"""The user's images as numbered items: a folder, a list of paths, a data set, or pictures in memory.

Item ``i`` always means the same image for the same source, so partial results
from shards (and from separate runs) can be merged and resumed. Folders are walked
in sorted order; files that are not pictures by their name, and empty folders,
are listed as skipped (with their reason) before the scan starts. Hidden files and
folders (names starting with ``.``) are ignored.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from .decode import EXTENSIONS, SkipImage, decode_file, to_rgb


class ExamplesError(RuntimeError):
    """A dataset-examples run that cannot go on as asked; the message names the fix."""


class ImageSource:
    """Numbered access to the images of a source.

    Attributes:
        kind: ``"folder"``, ``"paths"``, ``"dataset"`` or ``"images"``.
        name: a short description for reports.
        skipped: ``[(item, reason)]`` found while listing (non-picture files, empty folders).
    """

    def __init__(self, kind: str, name: str, *, paths: list[str] | None = None, labels: list | None = None,
                 items: Sequence | None = None, classes: Sequence | None = None,
                 skipped: list[tuple[str, str]] | None = None, digest: str = "") -> None:
        self.kind, self.name = kind, name
        self.paths, self.labels, self.items, self.classes = paths, labels, items, classes
        self.skipped = skipped or []
        self._digest = digest

    # ----- building --------------------------------------------------------------------------

    @classmethod
    def of(cls, source) -> "ImageSource":
        """Wrap what the user gave: a folder, a list of paths, a data set or an iterable of pictures."""
        if isinstance(source, ImageSource):
            return source
        if isinstance(source, (str, os.PathLike)):
            root = Path(source)
            if root.is_dir():
                return cls._folder(root)
            if root.is_file():
                return cls._paths([root], str(root))
            raise ExamplesError(f"no folder or image at {str(root)!r}; check the path")
        samples = getattr(source, "samples", None) or getattr(source, "imgs", None)
        if isinstance(samples, list) and samples and isinstance(samples[0], tuple) and isinstance(samples[0][0], str):
            # torchvision ImageFolder and friends: read the files directly, keep the class names
            classes = list(getattr(source, "classes", []) or [])
            labels = [classes[t] if isinstance(t, int) and 0 <= t < len(classes) else t for _, t in samples]
            return cls._paths([p for p, _ in samples], type(source).__name__, labels=labels)
        if hasattr(source, "__getitem__") and hasattr(source, "__len__") and not isinstance(source, (bytes, dict)):
            if len(source) and all(isinstance(source[i], (str, os.PathLike)) for i in (0, len(source) - 1)):
                return cls._paths(list(source), f"{len(source)} paths")
            classes = getattr(source, "classes", None)
            kind = "images" if isinstance(source, (list, tuple)) else "dataset"
            digest = f"{type(source).__module__}.{type(source).__qualname__}:{len(source)}"
            return cls(kind, f"{type(source).__name__} of {len(source)}", items=source, classes=classes,
                       digest=digest)
        try:
            items = list(source)  # a one-pass iterable: numbered in the order it gives its pictures
        except TypeError:
            raise ExamplesError(
                f"cannot read images from {type(source).__name__}; give a folder, a list of paths, "
                "a torchvision-style data set, or a list of PIL images/arrays"
            ) from None
        return cls.of(items)

    @classmethod
    def _folder(cls, root: Path) -> "ImageSource":
        paths, skipped = [], []
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            files = sorted(f for f in files if not f.startswith("."))
            if not files and not dirs:
                skipped.append((os.path.relpath(folder, root), "empty folder"))
            for name in files:
                ext = os.path.splitext(name)[1].lower()
                full = os.path.join(folder, name)
                if ext in EXTENSIONS:
                    paths.append(full)
                else:
                    skipped.append((os.path.relpath(full, root), f"not a picture file ({ext or 'no extension'})"))
        labels = [_folder_label(root, p) for p in paths]
        source = cls._paths(paths, str(root), labels=labels if any(labels) else None, root=root)
        source.skipped = skipped
        return source

    @classmethod
    def _paths(cls, paths, name: str, labels=None, root: Path | None = None) -> "ImageSource":
        paths = [os.fspath(p) for p in paths]
        h = hashlib.sha256()
        for p in paths:
            try:
                size = os.path.getsize(p)
            except OSError:
                size = -1
            shown = os.path.relpath(p, root) if root is not None else os.path.abspath(p)
            h.update(f"{shown}\t{size}\n".encode())
        kind = "folder" if root is not None else "paths"
        return cls(kind, name, paths=paths, labels=labels, digest=f"{len(paths)}:{h.hexdigest()}")

    # ----- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.paths) if self.paths is not None else len(self.items)

    @property
    def fingerprint(self) -> str:
        """Identifies the item list (paths and sizes, or the data set's type and length)."""
        return f"{self.kind}:{self._digest}"

    def path(self, i: int) -> str | None:
        """The file of item ``i`` (``None`` for pictures in memory)."""
        return self.paths[i] if self.paths is not None else None

    def describe(self, i: int) -> str:
        """How the report names item ``i``."""
        return self.paths[i] if self.paths is not None else f"#{i}"

    def load(self, i: int, max_pixels: int | None = None) -> tuple[Image.Image, str | None]:
        """``(RGB picture, label)`` of item ``i``; :class:`SkipImage` when it cannot be read."""
        if self.paths is not None:
            label = self.labels[i] if self.labels is not None else None
            try:
                return decode_file(self.paths[i], **({"max_pixels": max_pixels} if max_pixels else {})), _text(label)
            except FileNotFoundError:
                raise SkipImage("missing file") from None
        try:
            item = self.items[i]
        except SkipImage:
            raise
        except Exception as err:  # a data set whose own loading fails on this item
            raise SkipImage(f"the data set failed to load it ({err.__class__.__name__}: {err})") from None
        label = None
        if isinstance(item, tuple) and len(item) >= 2:
            item, label = item[0], item[1]
            if self.classes is not None and isinstance(label, int) and 0 <= label < len(self.classes):
                label = self.classes[label]
        return to_rgb(item), _text(label)

    def for_paths(self, ids: Sequence[int]) -> "ImageSource":
        """A small source holding only the files of ``ids`` (in that order): what a remote worker needs."""
        assert self.paths is not None
        labels = [self.labels[i] for i in ids] if self.labels is not None else None
        return ImageSource("paths", self.name, paths=[self.paths[i] for i in ids], labels=labels)


def _folder_label(root: Path, path: str) -> str | None:
    parent = os.path.relpath(os.path.dirname(path), root)
    return None if parent in (".", "") else parent.replace(os.sep, "/")


def _text(label) -> str | None:
    if label is None:
        return None
    if hasattr(label, "item") and callable(label.item):
        label = label.item()
    return str(label)


__all__ = ["ExamplesError", "ImageSource"]
