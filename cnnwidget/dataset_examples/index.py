"""Reading an index: :class:`ExampleIndex` (``.top``, ``.bottom``, ``.stats``, ``.report``) and :class:`Example`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from .partial import HIST_EDGES
from .sources import ExamplesError
from .store import ExamplesStore


@dataclass(frozen=True)
class Example:
    """One image that excites (or silences) a unit.

    Attributes:
        layer, channel: the unit.
        rank: 0 for the strongest.
        score: the unit's maximum over its map for this image.
        path: the image file (``None`` for pictures given in memory).
        item: the image's number in the source.
        label: the source's label (class folder, data-set target), or ``None``.
        peak: ``(y, x)`` of the maximum on the layer's map.
        box: ``(left, top, right, bottom)`` of the receptive field at the peak, in the
            original picture's pixels, clipped to it.
        size: ``(width, height)`` of the original picture.
    """

    layer: str
    channel: int
    rank: int
    score: float
    path: str | None
    item: int
    label: str | None
    peak: tuple[int, int]
    box: tuple[int, int, int, int] | None
    size: tuple[int, int] | None
    crop_file: Path | None = field(default=None, repr=False)
    image_file: Path | None = field(default=None, repr=False)

    @property
    def crop(self) -> Image.Image | None:
        """The receptive-field crop as a PIL image (``None`` if the picture was unreadable at the end)."""
        if self.crop_file is None:
            return None
        with Image.open(self.crop_file) as img:
            return img.convert("RGB")

    def image(self) -> Image.Image | None:
        """The whole picture (from its file, or the copy saved in the index for in-memory pictures)."""
        from .decode import SkipImage, decode_file

        target = self.path or (str(self.image_file) if self.image_file else None)
        if target is None:
            return None
        try:
            return decode_file(target)
        except (SkipImage, OSError):
            return None


@dataclass(frozen=True)
class Report:
    """What the scans did: ``images`` read, ``skipped`` ``[(item, reason)]``, reasons counted, ``seconds``, ``runs``."""

    images: int
    skipped: list[tuple[str, str]]
    seconds: float
    runs: list[dict]
    complete: bool

    @property
    def reasons(self) -> dict[str, int]:
        """How many items were skipped for each reason (reasons cut at their first parenthesis)."""
        counts: dict[str, int] = {}
        for _, reason in self.skipped:
            key = reason.split(" (")[0].split(":")[0]
            counts[key] = counts.get(key, 0) + 1
        return counts

    def __str__(self) -> str:
        reasons = ", ".join(f"{n} {r}" for r, n in sorted(self.reasons.items())) or "none"
        state = "complete" if self.complete else "incomplete: rerun to resume"
        return f"{self.images} images read, {len(self.skipped)} skipped ({reasons}), {self.seconds:.1f} s; {state}"


class ExampleIndex:
    """A dataset-examples directory, opened for reading.

    Example:
        >>> index = ExampleIndex.open("examples-r50")          # doctest: +SKIP
        >>> [e.score for e in index.top("layer4", 7)]           # best first
        >>> index.top("layer4", 7)[0].crop                      # a PIL image
    """

    def __init__(self, store: ExamplesStore) -> None:
        self._store = store
        self.root = store.root

    @classmethod
    def open(cls, out) -> "ExampleIndex":
        """Open the index in ``out`` (:class:`ExamplesError` if there is none)."""
        return cls(ExamplesStore.open(out))

    @property
    def database(self) -> Path:
        """The SQLite file (see :mod:`cnnwidget.dataset_examples.store` for its tables)."""
        return self.root / "examples.sqlite"

    @property
    def settings(self) -> dict:
        """The settings the index was made with."""
        return self._store.settings

    @property
    def layers(self) -> dict:
        """``{layer: {"channels", "map", "receptive_field", "input"}}``."""
        return self._store.layers

    def top(self, layer: str, channel: int) -> list[Example]:
        """The images where unit ``channel`` of ``layer`` peaks highest, best first."""
        return self._examples(layer, channel, "top")

    def bottom(self, layer: str, channel: int) -> list[Example]:
        """The images where the unit's maximum is lowest ("what silences it"), lowest first; empty
        unless the index was made with ``lowest=True``."""
        return self._examples(layer, channel, "bottom")

    def stats(self, layer: str, channel: int) -> dict:
        """``{"images", "mean", "max", "min", "fires", "histogram": {"edges", "counts"}}`` of the unit's
        maxima over the whole set (``fires``: share of images with maximum > 0)."""
        self._check(layer, channel)
        row = self._store.db.execute("SELECT images, mean, max, min, fires, histogram FROM units "
                                     "WHERE layer = ? AND channel = ?", (layer, int(channel))).fetchone()
        if row is None:
            raise ExamplesError(f"no statistics for {layer}:{channel} yet; the scan is unfinished, rerun it to resume")
        images, mean, high, low, fires, hist = row
        return {"images": images, "mean": mean, "max": high, "min": low, "fires": fires,
                "histogram": {"edges": HIST_EDGES.tolist(), "counts": json.loads(hist)}}

    @property
    def report(self) -> Report:
        """Images read, skipped items with reasons, time of every run."""
        db = self._store.db
        images = db.execute("SELECT COALESCE(SUM(images), 0) FROM shards").fetchone()[0]
        skipped = [(what if what is not None else f"#{item}", reason)
                   for item, what, reason in db.execute("SELECT item, what, reason FROM skipped ORDER BY shard, item")]
        runs = [dict(zip(("run", "started", "executor", "images", "seconds"), r))
                for r in db.execute("SELECT run, started, executor, images, seconds FROM runs ORDER BY run")]
        return Report(int(images), skipped, float(sum(r["seconds"] or 0 for r in runs)), runs,
                      self._store.meta("status") == "complete")

    def close(self) -> None:
        """Close the database."""
        self._store.close()

    def _check(self, layer: str, channel: int) -> None:
        layers = self.layers
        if layer not in layers:
            raise ExamplesError(f"layer {layer!r} is not in this index; it has {', '.join(map(repr, layers))}")
        if not 0 <= int(channel) < layers[layer]["channels"]:
            raise ExamplesError(f"{layer} has channels 0..{layers[layer]['channels'] - 1}, not {channel}")

    def _examples(self, layer: str, channel: int, kind: str) -> list[Example]:
        self._check(layer, channel)
        rows = self._store.db.execute(
            "SELECT rank, score, path, item, label, peak_y, peak_x, box_left, box_top, box_right, box_bottom, "
            "width, height, crop, image FROM examples WHERE layer = ? AND channel = ? AND kind = ? ORDER BY rank",
            (layer, int(channel), kind)).fetchall()
        return [Example(layer, int(channel), rank, score, path, item, label, (py, px),
                        None if left is None else (left, top, right, bottom),
                        None if width is None else (width, height),
                        None if crop is None else self.root / crop, None if image is None else self.root / image)
                for rank, score, path, item, label, py, px, left, top, right, bottom, width, height, crop, image
                in rows]

    def __repr__(self) -> str:
        return f"ExampleIndex({str(self.root)!r}, layers={list(self.layers)}, k={self.settings.get('k')})"


__all__ = ["Example", "ExampleIndex", "Report"]
