"""Robustness transforms: what each does, and that a seeded generator repeats them."""

import pytest
import torch

from cnnwidget.engine import transforms as T


def _x():
    return torch.rand(2, 3, 40, 40, generator=torch.Generator().manual_seed(0))


def test_pad_adds_grey_border():
    out = T.pad(5)(_x(), torch.Generator())
    assert out.shape[-2:] == (50, 50)
    assert torch.all(out[..., :5, :] == 0.5)


def test_jitter_crops_d_pixels_at_a_random_offset():
    x = _x()
    out = T.jitter(6)(x, torch.Generator().manual_seed(1))
    assert out.shape[-2:] == (34, 34)
    found = [(dy, dx) for dy in range(7) for dx in range(7) if torch.equal(x[..., dy : dy + 34, dx : dx + 34], out)]
    assert len(found) == 1


def test_random_scale_and_rotate():
    x = _x()
    assert T.random_scale([0.5])(x, torch.Generator()).shape[-2:] == (20, 20)
    assert torch.equal(T.random_rotate([0])(x, torch.Generator()), x)
    rotated = T.random_rotate([90])(x, torch.Generator())
    assert torch.allclose(rotated, torch.rot90(x, 1, dims=(-2, -1)), atol=1e-5)


def test_standard_set_is_seeded_and_keeps_roughly_the_size():
    t = T.resolve_transforms("standard")
    a = t(_x(), torch.Generator().manual_seed(5))
    b = t(_x(), torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    assert 40 * 0.85 < a.shape[-1] < 40 * 1.5


def test_resolve_accepts_none_and_one_argument_callables():
    x = _x()
    assert torch.equal(T.resolve_transforms("none")(x, torch.Generator()), x)
    assert torch.equal(T.resolve_transforms(None)(x, torch.Generator()), x)
    assert torch.equal(T.resolve_transforms([lambda v: v * 2])(x, torch.Generator()), x * 2)
    with pytest.raises(ValueError, match="'standard'"):
        T.resolve_transforms("heavy")
    with pytest.raises(TypeError, match="callable"):
        T.resolve_transforms([3])
