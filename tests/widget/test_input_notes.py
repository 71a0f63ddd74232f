"""The explorer says how pictures are fitted to the model: the ``input_notes`` trait (shown under the
picture, data-testid="input-note")."""

import numpy as np
import torch
from torch import nn

from cnnwidget import CNNExplorer


def grey_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 6, 3, padding=1))


def shrinking_net() -> nn.Module:
    """Needs about 40 px: a 32 px picture is optimized at 32 px and upsampled."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(4), nn.Conv2d(4, 6, 9), nn.ReLU())


def test_a_grey_model_says_it_is_fed_the_grey_level_and_a_colour_model_says_nothing(photo):
    grey = CNNExplorer(grey_net(), image=photo, layer="2")
    colour = CNNExplorer(shrinking_net(), image=photo, layer="4")
    try:
        assert grey.input_notes == ["the model takes 1 channel: it is fed the picture's grey level (BT.601 luminance)"]
        assert colour.input_notes == []
    finally:
        grey.close()
        colour.close()


def test_a_maximization_below_the_minimum_size_adds_its_note_and_a_new_picture_keeps_it_apart(photo):
    ex = CNNExplorer(shrinking_net(), image=photo, layer="4")
    ex.send = lambda content, buffers=None: None
    try:
        job = ex.maximize(("4", 2), size=32, steps=2)
        assert job.wait(120)
        assert ex.maximize_state["status"] == "done"
        assert len(ex.input_notes) == 1
        assert "a 32x32 picture is smaller than this architecture needs" in ex.input_notes[0]
        assert "upsampled to the minimum" in ex.input_notes[0]
        ex.set_image(photo)  # the picture itself fits: its notes replace the maximization's
        assert ex.input_notes == []
    finally:
        ex.close()


def test_a_live_frame_below_the_minimum_size_shows_its_note(photo):
    ex = CNNExplorer(shrinking_net(), image=photo, layer="4", auto_maximize=False)
    ex.send = lambda content, buffers=None: None
    try:
        assert ex.input_notes == []
        rgb = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
        rgba = np.concatenate([rgb, np.full((32, 32, 1), 255, np.uint8)], axis=2)
        ex._on_browser_message(ex, {"type": "frame", "id": 1, "width": 32, "height": 32, "t": 0.0}, [rgba.tobytes()])
        assert ex._live_worker.wait_idle(timeout=60)
        assert len(ex.input_notes) == 1 and "a 32x32 picture is smaller than this architecture needs" in ex.input_notes[0]
    finally:
        ex.close()
