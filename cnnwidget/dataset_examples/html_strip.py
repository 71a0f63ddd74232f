"""A unit's dataset examples as a strip of small ``<img>`` tags, for static pages such as the atlas's index."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from urllib.parse import quote

STRIP_CSS = (".examples{display:flex;gap:2px;margin-top:3px;flex-wrap:wrap}"
             ".examples img{width:30px;height:30px;object-fit:cover;border-radius:2px}")
"""CSS for :func:`unit_strip`'s markup."""


def unit_strip(index, layer: str, channel: int, page_dir: Path, limit: int = 9) -> str:
    """``<div class="examples" data-testid="dataset-examples">`` holding the unit's top crops, best first.

    Each ``<img data-testid="unit-example">`` has ``data-rank`` and ``data-score``, its ``title`` names the
    picture, and it links to the whole picture. Paths are relative to ``page_dir``. Empty when the index
    lacks the layer.
    """
    if layer not in index.layers:
        return ""
    parts = ['<div class="examples" data-testid="dataset-examples">']
    for example in index.top(layer, channel)[:limit]:
        if example.crop_file is None:
            continue
        crop = _relative(example.crop_file, page_dir)
        whole = example.path or (str(example.image_file) if example.image_file else None)
        title = f"#{example.rank} {example.score:.3g} {example.path or f'item {example.item}'}"
        if example.label:
            title += f" ({example.label})"
        img = (f'<img data-testid="unit-example" data-rank="{example.rank}" data-score="{example.score:.6g}" '
               f'loading="lazy" src="{crop}" alt="example {example.rank}" title="{escape(title, quote=True)}">')
        parts.append(f'<a href="{_relative(Path(whole), page_dir)}">{img}</a>' if whole else img)
    parts.append("</div>")
    return "".join(parts)


def _relative(path: Path, page_dir: Path) -> str:
    rel = os.path.relpath(Path(path).resolve(), Path(page_dir).resolve())
    return "/".join(quote(p) for p in Path(rel).as_posix().split("/"))


__all__ = ["STRIP_CSS", "unit_strip"]
