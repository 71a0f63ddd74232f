"""param="soft" (the default): a Fourier picture kept inside the sigmoid's working range."""

import math

import pytest
import torch
from torch import nn

from cnnwidget.engine.maximize import DEFAULT_PARAM, Maximizer
from cnnwidget.engine.soft_range import SOFT_LIMIT, range_penalty
from cnnwidget.engine.transforms import resolve_transforms


def contrast_net() -> nn.Module:
    """Random convolutions whose units grow with contrast, as random-weight networks do."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 5, padding=2), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())


def ends_share(pixels: torch.Tensor, low: float, high: float) -> float:
    """Share of pixels with any channel at or below ``low`` or at or above ``high``."""
    return float(((pixels <= low) | (pixels >= high)).any(dim=1).float().mean())


def test_range_penalty_is_zero_inside_the_limit_and_quadratic_outside():
    inside = torch.full((2, 3, 4, 4), SOFT_LIMIT * 0.99)
    assert torch.equal(range_penalty(inside), torch.zeros(2))
    outside = inside.clone()
    outside[1, 0, 0, 0] = -(SOFT_LIMIT + 2.0)  # one value 2 beyond the limit, in picture 1 only
    got = range_penalty(outside)
    assert got[0] == 0 and math.isclose(float(got[1]), 4.0 / (3 * 4 * 4), rel_tol=1e-5)


def test_soft_is_the_default():
    assert DEFAULT_PARAM == "soft"
    engine = Maximizer(contrast_net(), "3:0", steps=1, size=32, seed=0)
    assert engine.range_weight > 0 and engine.param_size < 32


def test_soft_pictures_stay_off_the_ends_where_fft_clips():
    """Same unit, same seed and steps: fft runs pixels to the sigmoid's ends, soft keeps them inside."""
    net = contrast_net()
    shares, values = {}, {}
    for param in ("fft", "soft"):
        engine = Maximizer(net, "3:2", steps=64, size=64, seed=0, param=param, precision="float32")
        engine.run()
        pixels = engine.pixels()
        shares[param] = ends_share(pixels, 0.02, 0.98)
        values[param] = float(engine.evaluate(views=4))
        start = Maximizer(net, "3:2", steps=1, size=64, seed=0, param=param, precision="float32")
        assert values[param] > 5 * float(start.evaluate(views=4)), param  # the unit was driven up
    assert shares["fft"] > 0.2, shares
    assert shares["soft"] < 0.02, shares


def test_range_weight_zero_lets_pixels_clip_again():
    """The penalty, not the coarser parameter, is what keeps the pixels off the ends."""
    net = contrast_net()
    free = Maximizer(net, "3:2", steps=64, size=64, seed=0, param="soft", range_weight=0, precision="float32").run()
    held = Maximizer(net, "3:2", steps=64, size=64, seed=0, param="soft", precision="float32").run()
    assert ends_share(free.pixels(), 0.02, 0.98) > 5 * max(ends_share(held.pixels(), 0.02, 0.98), 0.01)


def test_views_transform_warps_with_mirrored_borders():
    views = resolve_transforms("views")
    x = torch.rand(2, 3, 40, 40)
    out = views(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and not torch.equal(out, x)
    flat = torch.full((1, 3, 40, 40), 0.3)
    # mirrored borders bring in no padding colour: a flat picture stays flat
    assert torch.allclose(views(flat, torch.Generator().manual_seed(1)), flat, atol=1e-6)
    with pytest.raises(ValueError, match="'views'"):
        resolve_transforms("view")
