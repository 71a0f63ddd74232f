"""Pixel and Fourier pictures: shapes, range, exact inversion, smoothness."""

import pytest
import torch

from cnnwidget.engine.parameterization import (
    COLOR_CORRELATION,
    FourierImage,
    PixelImage,
    high_frequency_share,
    image_param,
)


@pytest.mark.parametrize("kind", ["fft", "pixel"])
@pytest.mark.parametrize("decorrelate", [True, False])
@pytest.mark.parametrize("size", [(32, 32), (33, 47)])
def test_decodes_to_the_right_shape_in_unit_range_and_inverts_exactly(kind, decorrelate, size):
    param = image_param(kind, 2, size, decorrelate=decorrelate, generator=torch.Generator().manual_seed(0))
    pixels = param()
    assert pixels.shape == (2, 3, *size)
    assert 0 <= float(pixels.detach().min()) and float(pixels.detach().max()) <= 1
    target = torch.rand(3, *size, generator=torch.Generator().manual_seed(1)) * 0.9 + 0.05
    param.set_pixels(target)
    assert torch.allclose(param()[1], target, atol=1e-4)
    assert all(p.requires_grad for p in param.params)


def test_starts_as_faint_noise_around_grey():
    pixels = image_param("fft", 1, 64, generator=torch.Generator().manual_seed(0))().detach()
    assert abs(float(pixels.mean()) - 0.5) < 0.02 and float(pixels.std()) < 0.05


def test_same_generator_seed_same_start():
    a = image_param("fft", 1, 32, generator=torch.Generator().manual_seed(3))()
    b = image_param("fft", 1, 32, generator=torch.Generator().manual_seed(3))()
    assert torch.equal(a, b)


def test_fourier_steps_are_smoother_than_pixel_steps():
    """The same random parameter step changes coarse structure in Fourier space, pixels in pixel space."""
    g = torch.Generator().manual_seed(0)
    shares = {}
    for cls in (FourierImage, PixelImage):
        param = cls(1, 64, 64, decorrelate=False, sd=0.0)
        with torch.no_grad():
            param.params[0].add_(torch.randn(param.params[0].shape, generator=g))
        shares[cls] = high_frequency_share(param())
    assert shares[FourierImage] < 0.5 * shares[PixelImage]


def test_colour_matrix_columns_have_at_most_unit_norm():
    assert torch.isclose(COLOR_CORRELATION.norm(dim=0).max(), torch.tensor(1.0))


def test_unknown_kind_and_tiny_size_name_the_fix():
    with pytest.raises(ValueError, match="'fft'"):
        image_param("dct", 1, 32)
    with pytest.raises(ValueError, match="at least 8 px"):
        image_param("fft", 1, 4)


def test_high_frequency_share_orders_smooth_below_noise():
    y, x = torch.meshgrid(torch.linspace(0, 1, 64), torch.linspace(0, 1, 64), indexing="ij")
    smooth = torch.stack([x, y, x * y])
    noise = torch.rand(3, 64, 64, generator=torch.Generator().manual_seed(0))
    assert high_frequency_share(smooth) < 0.05 < 0.5 < high_frequency_share(noise)
