"""Which layer to show first when the user names none."""

from __future__ import annotations

from .layer_catalog import LayerInfo


def default_layer(catalog: list[LayerInfo]) -> str:
    """A mid-network layer with rich but still spatial maps.

    Picks the deepest layer whose maps are at least 1/8 of the largest map's
    side (14 px for a 224 px ResNet input, whose largest map is 112 px: ``layer3``), preferring the
    shallowest name (a whole stage over a block inside it).
    """
    if not catalog:
        raise ValueError("the model has no layer with an image-like output")
    biggest = max(min(info.shape[1:]) for info in catalog)
    spatial = [info for info in catalog if min(info.shape[1:]) * 8 >= biggest] or catalog
    deepest_side = min(min(info.shape[1:]) for info in spatial)
    candidates = [info for info in spatial if min(info.shape[1:]) == deepest_side]
    fewest_dots = min(info.name.count(".") for info in candidates)
    return [info for info in candidates if info.name.count(".") == fewest_dots][-1].name
