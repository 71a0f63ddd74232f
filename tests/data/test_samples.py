"""The bundled sample photos: present, small, licensed, readable."""

from pathlib import Path

import pytest
from PIL import Image

import cnnwidget
from cnnwidget.data import SAMPLES_DIR, sample, samples


def test_a_handful_of_photos_ship():
    found = samples()
    assert 4 <= len(found) <= 8
    assert cnnwidget.samples() == found
    for name, path in found.items():
        assert isinstance(path, Path) and path.is_file()
        assert path.stat().st_size <= 110_000, f"{name} is too large to ship"
        with Image.open(path) as img:
            assert max(img.size) <= 512 and min(img.size) >= 256


def test_every_photo_has_a_source_and_licence():
    readme = (SAMPLES_DIR / "README.md").read_text()
    for path in samples().values():
        row = next((line for line in readme.splitlines() if f"`{path.name}`" in line), None)
        assert row is not None, f"{path.name} is not listed in samples/README.md"
        assert "Public domain" in row or "CC0" in row


def test_sample_returns_an_rgb_image():
    img = sample("chelsea")
    assert img.mode == "RGB" and img.size == (451, 300)


def test_unknown_sample_lists_the_names():
    with pytest.raises(KeyError, match="chelsea"):
        sample("dog")


def test_one_lookup_one_error_for_an_unknown_sample():
    from cnnwidget.data import SampleError, sample_path

    for lookup in (sample, sample_path):
        with pytest.raises(SampleError, match="no sample called 'dog'; choose one of .*chelsea") as caught:
            lookup("dog")
        assert isinstance(caught.value, KeyError) and isinstance(caught.value, ValueError)
        assert str(caught.value).startswith("no sample called")  # not KeyError's quoted repr
    assert sample_path("chelsea") == samples()["chelsea"]


def test_default_image_is_the_cat():
    from cnnwidget.data import default_image

    assert default_image() == samples()["chelsea"]
