"""The last step of a scan: from the merged top-k to rows of the ``examples`` table and crop files.

Only the pictures that ended up in some unit's top-k (or bottom-k) are decoded again
(in DataLoader workers). For each example the receptive field of the unit at the
peak (measured by :func:`~cnnwidget.engine.receptive_field.receptive_field`) is
mapped back through the preprocessing's resize and crop onto the original picture,
clipped to it, cut out and saved as a JPEG whose longest side is at most ``crop`` px.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

import numpy as np
import torch

from ..atlas.store import TMP_PREFIX
from ..engine.receptive_field import receptive_field
from .decode import SkipImage
from .partial import NO_ITEM, LayerPartial
from .prepare import Geometry, peak_centre

WHOLE_SIDE = 1024
"""Longest side of the whole pictures saved for in-memory sources (hover shows them)."""


class _Pictures(torch.utils.data.Dataset):
    def __init__(self, source, items) -> None:
        self.source, self.items = source, items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i):
        item = self.items[i]
        try:
            picture, label = self.source.load(item)
            return item, picture, label
        except SkipImage:
            return item, None, None


def crop_file(item: int, box: tuple[int, int, int, int]) -> str:
    """Where the crop of ``box`` in picture ``item`` lives, relative to the index directory. Crops are named
    by picture and box, so units that peak at the same place of the same picture share one file."""
    return f"crops/{int(item)}/{'-'.join(str(int(v)) for v in box)}.jpg"


def finalize(store, merged: dict[str, LayerPartial], source, transform, model, layer_info: dict,
             crop: int, workers: int) -> None:
    """Write every example (crops, boxes) and every unit's statistics into ``store``."""
    entries = defaultdict(list)  # item -> [(layer, channel, kind, rank, score, pos)]
    for name, part in merged.items():
        for kind, ranked in (("top", part.top), ("bottom", part.bottom)):
            if ranked is None:
                continue
            channels, ranks = np.nonzero(ranked.item != NO_ITEM)
            for c, r in zip(channels.tolist(), ranks.tolist()):
                entries[int(ranked.item[c, r])].append((name, c, kind, r, float(ranked.score[c, r]),
                                                        int(ranked.pos[c, r])))
    size = tuple(layer_info[next(iter(layer_info))]["input"]) if layer_info else (224, 224)
    sides = {name: info["receptive_field"] for name, info in layer_info.items()}
    items = sorted(entries)
    loader = torch.utils.data.DataLoader(_Pictures(source, items), batch_size=None, num_workers=workers,
                                         collate_fn=_same)
    rows = []
    for item, picture, label in loader:
        written: set[str] = set()
        path = source.path(item)
        whole = None
        if picture is not None and path is None:
            whole = f"images/{item}.jpg"
            thumb = picture.copy()
            thumb.thumbnail((WHOLE_SIDE, WHOLE_SIDE))
            _save_jpeg(store.root / whole, thumb)
        for name, c, kind, rank, score, pos in entries[item]:
            h, w = layer_info[name]["map"]
            y, x = divmod(pos, w)
            box, crop_name, width, height = (None,) * 4, None, None, None
            if picture is not None:
                width, height = picture.size
                geometry = Geometry.of(transform, picture.size, size)
                box = geometry.box(peak_centre(pos, (h, w), size), sides[name], picture.size)
                crop_name = crop_file(item, box)
                if crop_name not in written:
                    piece = picture.crop(box)
                    piece.thumbnail((crop, crop))
                    _save_jpeg(store.root / crop_name, piece)
                    written.add(crop_name)
            rows.append((name, c, kind, rank, score, item, path, label, y, x, h, w, *box, width, height,
                         crop_name, whole))
    units = []
    for name, part in merged.items():
        n = part.count
        for c in range(len(part.total)):
            units.append((name, c, n, float(part.total[c] / n) if n else None,
                          float(part.high[c]) if n else None, float(part.low[c]) if n else None,
                          float(part.fires[c] / n) if n else None, json.dumps(part.hist[c].tolist())))
    store.write_results(rows, units)


def layer_facts(model, infos: dict, size: tuple[int, int]) -> dict:
    """``{layer: {"channels", "map": [h, w], "receptive_field", "input": [H, W]}}`` for the index's meta."""
    return {name: {"channels": info.channels, "map": list(info.shape[1:]),
                   "receptive_field": receptive_field(model, name, max(size)), "input": list(size)}
            for name, info in infos.items()}


def _save_jpeg(path, picture) -> None:
    """Write through a temporary name and a rename (whole or absent), without an fsync per crop: the index
    is marked complete only after every crop is written, and a rerun of an incomplete index rewrites them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{TMP_PREFIX}{os.getpid()}-{path.name}")
    try:
        picture.save(tmp, "JPEG", quality=90)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


__all__ = ["WHOLE_SIDE", "crop_file", "finalize", "layer_facts"]


def _same(row):
    return row
