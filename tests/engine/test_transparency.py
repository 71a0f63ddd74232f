"""Transparency masks: bright where the unit looked, dark elsewhere."""

import torch
from PIL import Image
from torch import nn

from cnnwidget.engine.maximize import Maximizer, maximize
from cnnwidget.engine.transparency import attention_mask, with_transparency


def local_net() -> nn.Module:
    """One 5x5 convolution: a neuron's gradient reaches only its 5x5 neighbourhood."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 5, padding=2), nn.ReLU())


def test_a_neurons_mask_is_bright_at_the_neuron_and_dark_far_away():
    engine = Maximizer(local_net(), "1:0@10,40", steps=16, size=64, param="maco", transforms="none", seed=0)
    engine.run()
    mask = engine.masks()[0]
    assert mask.shape == (64, 64)
    assert float(mask[8:13, 38:43].mean()) > 0.5
    assert float(mask[40:, :20].max()) < 0.05


def test_masks_before_any_step_are_zero_and_images_are_greyscale():
    engine = Maximizer(local_net(), "1:0", steps=2, size=32, seed=0)
    assert float(engine.masks().abs().max()) == 0.0
    engine.run()
    images = engine.mask_images()
    assert len(images) == 1 and images[0].mode == "L" and images[0].size == (32, 32)


def test_maximize_returns_pictures_with_their_masks():
    image, mask = maximize(local_net(), "1:0", steps=4, size=32, seed=0, param="maco", mask=True, progress=False)
    assert image.size == mask.size == (32, 32) and mask.mode == "L"
    images, masks = maximize(local_net(), ["1:0", "1:1"], steps=4, size=32, seed=0, mask=True, progress=False)
    assert len(images) == len(masks) == 2


def test_attention_mask_scales_to_unit_range():
    acc = torch.zeros(2, 20, 20)
    acc[0, 5, 5] = 3.0
    acc[1] = 7.0
    m = attention_mask(acc, blur=1.0)
    assert float(m.max()) == 1.0 and float(m.min()) >= 0.0
    assert float(m[0, 5, 5]) == 1.0 and float(m[0, 15, 15]) == 0.0
    assert torch.allclose(m[1], torch.ones(20, 20))


def test_with_transparency_puts_the_mask_in_the_alpha_channel():
    image = Image.new("RGB", (8, 8), (200, 100, 50))
    mask = torch.zeros(8, 8)
    mask[:, 4:] = 1.0
    out = with_transparency(image, mask)
    assert out.mode == "RGBA"
    assert out.getpixel((0, 0)) == (200, 100, 50, 0) and out.getpixel((7, 0)) == (200, 100, 50, 255)
