import numpy as np
import torch
from torch import nn

from cnnwidget.engine.attribution import source_layer, unit_gradcam
from tests.model_state import assert_same_state, model_state


class RedSpotNet(nn.Module):
    """stage1 detects red (channel 0) and blue (channel 1); stage2's unit 0 sums red evidence."""

    def __init__(self):
        super().__init__()
        self.stage1 = nn.Sequential(nn.Conv2d(3, 2, 3, padding=1), nn.ReLU())
        self.stage2 = nn.Sequential(nn.MaxPool2d(4), nn.Conv2d(2, 2, 1), nn.ReLU())
        with torch.no_grad():
            w = torch.zeros(2, 3, 3, 3)
            w[0, 0] = 1 / 9
            w[0, 1] = -1 / 9
            w[1, 2] = 1 / 9
            self.stage1[0].weight.copy_(w)
            self.stage1[0].bias.zero_()
            self.stage2[1].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]])[:, :, None, None])
            self.stage2[1].bias.zero_()

    def forward(self, x):
        return self.stage2(self.stage1(x))


def test_gradcam_points_at_the_evidence_for_the_unit():
    x = torch.zeros(1, 3, 32, 32)
    x[0, 0, 4:10, 20:28] = 1.0  # red patch, top right
    x[0, 2, 22:28, 2:8] = 1.0  # blue patch, bottom left
    net = RedSpotNet().train()
    before = model_state(net)
    assert source_layer(net, "stage2", (32, 32)) == "stage1"
    red = unit_gradcam(net, x, "stage2", 0)
    blue = unit_gradcam(net, x, "stage2", 1)
    assert red.shape == (32, 32) and red.max() == 1.0
    ry, rx = np.unravel_index(red.argmax(), red.shape)
    by, bx = np.unravel_index(blue.argmax(), blue.shape)
    assert 2 <= ry <= 12 and 17 <= rx <= 30
    assert 19 <= by <= 30 and 0 <= bx <= 10
    assert red[22:28, 2:8].max() < 0.2  # the blue patch is no evidence for the red unit
    assert_same_state(before, model_state(net))


def test_silent_unit_gives_an_empty_map():
    net = RedSpotNet()
    cam = unit_gradcam(net, torch.zeros(1, 3, 32, 32), "stage2", 0)
    assert cam.max() == 0.0
