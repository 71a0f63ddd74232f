"""The natural-photo spectrum MACO pictures keep: reproducible, resampled faithfully, errors that name the fix."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnwidget.engine.natural_spectrum import (
    SPECTRUM_FILE,
    compute_spectrum,
    magnitude_for,
    shipped_spectrum,
    spectrum_from_folder,
)

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("make_natural_spectrum", ROOT / "scripts" / "make_natural_spectrum.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_spectrum_is_what_its_script_makes_from_the_bundled_photos():
    shipped = np.load(SPECTRUM_FILE)
    remade = _script().make()
    assert shipped.shape == remade.shape == (3, 128, 128) and shipped.dtype == np.float32
    np.testing.assert_allclose(remade, shipped, rtol=1e-5, atol=1e-6)


def test_the_script_writes_a_file_equal_to_the_shipped_one(tmp_path):
    out = tmp_path / "spectrum.npy"
    _script().main(["--out", str(out)])
    np.testing.assert_allclose(np.load(out), np.load(SPECTRUM_FILE), rtol=1e-5, atol=1e-6)


def test_photo_spectrum_falls_with_frequency_like_natural_images():
    s = shipped_spectrum()
    centre = s.shape[-1] // 2
    assert float(s[:, centre, centre].abs().max()) == 0.0  # the mean colour is left out
    row = s[0, centre, centre + 1 :]  # luminance-like channel along the horizontal frequencies
    low, high = float(row[1:4].mean()), float(row[-8:].mean())
    assert low > 20 * high


def test_resampled_magnitude_keeps_each_channels_rms_and_zero_mean():
    s = shipped_spectrum()
    for h, w in [(64, 64), (224, 224), (33, 47)]:
        m = magnitude_for(s, h, w)
        assert m.shape == (3, h, w // 2 + 1)
        assert float(m[:, 0, 0].abs().max()) == 0.0
        full_rms = s.pow(2).mean(dim=(-2, -1)).sqrt()
        # rms over the full (Hermitian) grid: interior rfft columns count twice
        weights = torch.full((w // 2 + 1,), 2.0)
        weights[0] = 1.0
        if w % 2 == 0:
            weights[-1] = 1.0
        rms = ((m.pow(2) * weights).sum(dim=(-2, -1)) / (h * w)).sqrt()
        assert torch.allclose(rms, full_rms, rtol=0.05), (h, w, rms, full_rms)


def test_flat_photos_are_refused_and_noise_gives_a_flat_spectrum():
    with pytest.raises(ValueError, match="flat"):
        compute_spectrum([torch.full((3, 40, 40), 0.5)], size=32)
    noise = compute_spectrum([torch.rand(3, 64, 64, generator=torch.Generator().manual_seed(i)) for i in range(4)], size=32)
    inner = noise[:, 8:24, 8:24]
    assert float(inner[0].std() / inner[0].mean()) < 0.35


def test_folder_without_images_names_the_fix(tmp_path):
    with pytest.raises(ValueError, match="no image files"):
        spectrum_from_folder(tmp_path)
    with pytest.raises(ValueError, match="no image files"):
        spectrum_from_folder(tmp_path / "missing")


def test_a_folder_of_photos_gives_its_own_spectrum(tmp_path):
    from cnnwidget.data.samples import samples

    for name in ("chelsea", "coffee"):
        (tmp_path / f"{name}.jpg").write_bytes(samples()[name].read_bytes())
    (tmp_path / "notes.txt").write_text("not an image")
    own = spectrum_from_folder(tmp_path)
    assert own.shape == (3, 128, 128)
    assert not torch.allclose(own, shipped_spectrum())
