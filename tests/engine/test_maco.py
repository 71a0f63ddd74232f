"""param="maco": the amplitudes stay those of the photos while the phases are optimized."""

import pytest
import torch
from torch import nn

from cnnwidget.engine.maximize import Maximizer
from cnnwidget.engine.natural_spectrum import compute_spectrum, magnitude_for, shipped_spectrum
from cnnwidget.engine.parameterization import MACO_CONTRAST, MacoImage, image_param


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 5, padding=2), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())


def decoded_magnitude(param) -> torch.Tensor:
    """The amplitude spectrum of the decoded pre-colour picture, its mean colour removed."""
    raw = param.raw().detach()
    raw = raw - raw.mean(dim=(-2, -1), keepdim=True)
    return torch.fft.rfft2(raw, norm="ortho").abs()


def interior(spectrum: torch.Tensor) -> torch.Tensor:
    """rfft columns other than the zero and Nyquist ones (set by Hermitian symmetry, not by one bin alone)."""
    return spectrum[..., 1:-1]


def test_optimized_pictures_keep_the_fixed_magnitude():
    engine = Maximizer(small_net(), ["3:0", "3:5"], steps=12, size=48, param="maco", seed=0, precision="float32")
    before = engine.pixels().clone()
    engine.run()
    assert (engine.pixels() - before).abs().max() > 0.05  # the picture did change
    expected = MACO_CONTRAST * magnitude_for(shipped_spectrum(), 48, 48)
    got = decoded_magnitude(engine.param)
    assert got.shape == (2, 3, 48, 25)
    assert torch.allclose(interior(got), interior(expected).expand_as(interior(got)), rtol=1e-3, atol=1e-4)


def test_a_spectrum_from_other_photos_is_the_one_kept():
    noise_photos = [torch.rand(3, 64, 64, generator=torch.Generator().manual_seed(i)) for i in range(3)]
    white = compute_spectrum(noise_photos, size=32)
    param = image_param("maco", 1, 32, spectrum=white, generator=torch.Generator().manual_seed(0))
    got = decoded_magnitude(param)[0]
    assert torch.allclose(interior(got), interior(MACO_CONTRAST * magnitude_for(white, 32, 32)), rtol=1e-3, atol=1e-4)
    natural = decoded_magnitude(image_param("maco", 1, 32, generator=torch.Generator().manual_seed(0)))[0]
    # the photos' spectrum falls with frequency, the noise's does not
    assert float(natural[0, 1, 1] / natural[0, 16, 12]) > 5 * float(got[0, 1, 1] / got[0, 16, 12])


def test_decodes_in_unit_range_and_clips_about_as_little_as_photos():
    pixels = image_param("maco", 4, 96, generator=torch.Generator().manual_seed(0))().detach()
    assert pixels.shape == (4, 3, 96, 96) and 0 <= float(pixels.min()) and float(pixels.max()) <= 1
    clipped = ((pixels <= 0.02) | (pixels >= 0.98)).any(dim=1).float().mean()
    assert float(clipped) < 0.2
    assert float(pixels.std()) > 0.1  # a textured start, not faint noise


def test_start_from_a_photo_takes_its_phase_and_mean_colour():
    """Phase carries a photo's structure (Oppenheim and Lim 1981): the start looks like the photo."""
    from cnnwidget.data.samples import sample
    from cnnwidget.engine.preprocessing import Preprocess, to_tensor

    photo = to_tensor(Preprocess(size=64).crop(sample("chelsea")))
    param = image_param("maco", 1, 64, generator=torch.Generator().manual_seed(0))
    param.set_pixels(photo)
    got = param()[0].detach()
    grey_got, grey_photo = got.mean(dim=0).flatten(), photo.mean(dim=0).flatten()
    a, b = grey_got - grey_got.mean(), grey_photo - grey_photo.mean()
    assert float(a @ b / (a.norm() * b.norm())) > 0.7
    r, g, b = got.mean(dim=(1, 2)).tolist()  # the photo's mean is (0.58, 0.43, 0.31): a warm, brown cat
    assert r > g + 0.03 and g > b + 0.01


def test_wrong_magnitude_shape_names_the_expected_one():
    with pytest.raises(ValueError, match=r"\(3, 16, 9\)"):
        MacoImage(1, 16, 16, magnitude=torch.ones(3, 16, 16))
    with pytest.raises(ValueError, match="compute_spectrum"):
        image_param("maco", 1, 16, spectrum=torch.ones(3, 8))


def test_maco_uses_the_full_size_and_shrinking_crops_by_default():
    engine = Maximizer(small_net(), "3:0", steps=4, size=40, param="maco", seed=0)
    assert engine.param_size == 40
    assert hasattr(engine.transform, "progress")
    engine.run()
    assert engine.transform.progress == 1.0
