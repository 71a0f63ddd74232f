import numpy as np
import torchvision

from cnnwidget.engine.receptive_field import receptive_field
from cnnwidget.engine.top_crops import TopCrops


def test_keeps_the_k_strongest_crops_around_each_peak():
    tracker = TopCrops(k=3, side=8)
    frames = []
    for i, value in enumerate([1.0, 5.0, 3.0, 0.5, 4.0]):
        frame = np.full((32, 32, 3), i * 40, dtype=np.uint8)
        frame[20:24, 4:8] = 255  # a white patch where the unit will peak
        unit_map = np.zeros((8, 8), dtype=np.float32)
        unit_map[5, 1] = value
        tracker.offer(frame, unit_map)
        frames.append(frame)
    crops = tracker.crops()
    assert [c.value for c in crops] == [5.0, 4.0, 3.0]
    assert crops[0].pixels.shape == (8, 8, 3)
    # map cell (5, 1) of 8x8 -> centre (22, 6) in the 32 px frame: the white patch is in the crop
    assert (crops[0].pixels == 255).all(axis=2).sum() == 16
    assert tracker.strip(tile=16).shape == (16, 48, 3)
    assert not tracker.offer(frames[0], np.full((8, 8), 0.1, np.float32))


def test_receptive_field_grows_with_depth():
    model = torchvision.models.resnet18()
    shallow = receptive_field(model, "layer1", 128)
    deep = receptive_field(model, "layer3", 128)
    assert 8 <= shallow < deep <= 128
