import numpy as np
import pytest
import torch
from torch import nn

from cnnwidget.engine.first_layer_filters import filters, first_conv
from cnnwidget.models.default_model import default_model
from tests.model_state import assert_same_state, model_state


def test_default_model_filters_are_its_stem_weights_in_colour():
    net = default_model().train()
    before = model_state(net)
    shown = filters(net)
    assert_same_state(before, model_state(net))
    assert shown.layer == "stem.conv" and shown.colour
    assert shown.tiles.shape == (32, 7, 7, 3) and shown.tiles.dtype == np.float32
    w = net.stem.conv.weight.detach()
    k = 5
    expected = 0.5 + 0.5 * w[k] / w[k].abs().max()
    np.testing.assert_allclose(shown.tiles[k], expected.permute(1, 2, 0).numpy(), atol=1e-6)
    reach = np.abs(shown.tiles - 0.5).reshape(32, -1).max(1)
    np.testing.assert_allclose(reach, 0.5, atol=1e-6)  # each filter scaled by its own largest weight


def test_shared_scale_shows_which_filters_are_strong():
    net = default_model()
    reach = np.abs(filters(net, each=False).tiles - 0.5).reshape(32, -1).max(1)
    strongest = int(net.stem.conv.weight.detach().abs().flatten(1).max(1).values.argmax())
    assert reach.argmax() == strongest and reach.max() == pytest.approx(0.5) and reach.min() < 0.45


def test_other_channel_counts_are_grey_and_the_sheet_holds_every_tile():
    model = nn.Sequential(nn.Conv2d(1, 5, 3), nn.ReLU(), nn.Conv2d(5, 2, 3))
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].weight[2, 0, 1, 1] = -1.0
        model[0].weight[2, 0, 0, 0] = 0.5
    shown = filters(model)
    assert first_conv(model) == "0" and shown.layer == "0" and not shown.colour
    assert shown.tiles.shape == (5, 3, 3, 3)
    assert np.allclose(shown.tiles[..., 0], shown.tiles[..., 2])  # grey
    assert shown.tiles[2, 1, 1, 0] == 0.0 and shown.tiles[2, 0, 0, 0] == 0.75
    sheet = shown.sheet(zoom=4, columns=5, gap=1)
    assert sheet.size == (5 * 13 + 1, 13 + 1)
    px = np.asarray(sheet)
    assert tuple(px[1 + 4 + 1, 2 * 13 + 1 + 4 + 1]) == (0, 0, 0)  # tile 2's centre weight, -1: black
    assert tuple(px[0, 0]) == (255, 255, 255)


def test_a_layer_that_is_not_a_convolution_is_refused():
    with pytest.raises(ValueError, match="not a Conv2d"):
        filters(default_model(), layer="stage1.pool")
    with pytest.raises(ValueError, match="no Conv2d"):
        filters(nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 2)))
