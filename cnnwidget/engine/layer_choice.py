"""Which layer to show first when the user names none."""

from __future__ import annotations

from .layer_catalog import LayerInfo

REARRANGING = frozenset({
    "Permute", "Flatten", "Unflatten", "Identity", "Reshape", "View", "Transpose", "Rearrange",
    "Dropout", "Dropout2d", "DropPath",
})
"""Module types that only move, copy or drop values (a Swin's closing ``permute``): never the default layer."""


def default_layer(catalog: list[LayerInfo]) -> str:
    """A mid-network layer with rich but still spatial maps.

    Picks the deepest layer whose maps are at least 1/8 of the largest map's
    side (14 px for a 224 px ResNet input, whose largest map is 112 px: ``layer3``), preferring the
    shallowest name (a whole stage over a block inside it). In a network whose
    maps keep one size throughout (a plain ViT or DeiT), that rule has nothing to
    go on, so the middle one of the longest run of sibling blocks is taken
    (``blocks.6`` of twelve). Modules that only rearrange their input
    (:data:`REARRANGING`) are passed over: a Swin opens on its closing ``norm``
    (768 channels, channels-last), not on the ``permute`` after it.
    """
    if not catalog:
        raise ValueError("the model has no layer with an image-like output")
    catalog = [info for info in catalog if info.type not in REARRANGING] or catalog
    biggest = max(min(info.shape[1:]) for info in catalog)
    spatial = [info for info in catalog if min(info.shape[1:]) * 8 >= biggest] or catalog
    deepest_side = min(min(info.shape[1:]) for info in spatial)
    candidates = [info for info in spatial if min(info.shape[1:]) == deepest_side]
    if deepest_side == biggest and len(candidates) > 8:
        middle = _middle_block(candidates)
        if middle:
            return middle
    fewest_dots = min(info.name.count(".") for info in candidates)
    return [info for info in candidates if info.name.count(".") == fewest_dots][-1].name


def _middle_block(candidates: list[LayerInfo]) -> str | None:
    names = [info.name for info in candidates]
    blocks = [n for n in names if any(other.startswith(n + ".") for other in names)]
    siblings: dict[str, list[str]] = {}
    for name in blocks:
        siblings.setdefault(name.rsplit(".", 1)[0] if "." in name else "", []).append(name)
    longest = max(siblings.values(), key=len, default=[])
    return longest[len(longest) // 2] if len(longest) >= 3 else None
