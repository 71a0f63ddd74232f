"""First-layer filters in the explorer: the tiles the page draws are the stem's weights."""

import numpy as np
import torch

from cnnwidget import CNNExplorer
from cnnwidget.engine.first_layer_filters import filters
from cnnwidget.models.default_model import default_model


def test_the_explorer_carries_the_first_layer_tiles():
    net = default_model()
    ex = CNNExplorer(net, image=torch.rand(3, 128, 128), layer="stage2")
    try:
        meta = ex.filters_meta
        assert meta == {"layer": "stem.conv", "count": 32, "height": 7, "width": 7, "colour": True}
        tiles = np.frombuffer(ex.filters, dtype=np.uint8).reshape(32, 7, 7, 3)
        expected = (filters(net).tiles * 255).round().astype(np.uint8)
        assert np.array_equal(tiles, expected)
        ex.selected = ("stem.conv", 3)  # what a tile click sets: a valid unit of the grid's catalog
        assert ex.selected == ("stem.conv", 3)
    finally:
        ex.close()


def test_a_model_without_convolutions_has_no_tiles():
    model = torch.nn.Sequential(torch.nn.AvgPool2d(2))
    ex = CNNExplorer(model, image=torch.rand(3, 32, 32))
    try:
        assert ex.filters == b"" and ex.filters_meta == {}
    finally:
        ex.close()
