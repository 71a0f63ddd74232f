"""Each maximization option of the widget does what it says (not only that it runs).

The pictures come from ``CNNExplorer.maximize`` with the option set, and are
judged independently: the unit's mean activation is computed on the returned
picture with our own forward hook.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

import cnnwidget
from cnnwidget import CNNExplorer
from tests.unit_response import channel_means

LAYER, CHANNEL = "stage2", 5
UNIT = (LAYER, CHANNEL)
SIZE = 64


@pytest.fixture(scope="module")
def model():
    return cnnwidget.load_model("default")  # the bundled trained CNN: real features, no download


@pytest.fixture
def explorer(model, photo):
    ex = CNNExplorer(model, image=photo, layer=LAYER, auto_maximize=False)
    ex.maximize_options = {**ex.maximize_options, "size": SIZE, "steps": 8}
    sent = []
    ex.send = lambda content, buffers=None: sent.append((content, buffers))
    ex.sent = sent
    yield ex
    ex.close()


def run(ex, **options) -> list[Image.Image]:
    """Maximize UNIT with ``options``; the final pictures (a list, one per batch item)."""
    job = ex.maximize(UNIT, **options)
    assert job is not None and job.wait(600)
    assert ex.maximize_state["status"] == "done" and ex.error == ""
    result = ex.maximized
    return result if isinstance(result, list) else [result]


def streamed(ex, step: int) -> Image.Image:
    """The picture streamed to the browser at ``step`` of the latest run (0 = the starting picture)."""
    for content, buffers in reversed(ex.sent):
        if content.get("type") == "maximize_progress" and content["step"] == step:
            return Image.open(io.BytesIO(buffers[0])).convert("RGB")
    raise AssertionError(f"no picture was streamed at step {step}")


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float64)


def unit_value(model, image: Image.Image, shift: int = 0) -> float:
    """UNIT's mean activation on ``image`` (optionally rolled by ``shift`` pixels down and right)."""
    x = torch.from_numpy(as_array(image) / 255.0).float().permute(2, 0, 1)[None]
    x = torch.roll(x, shifts=(shift, shift), dims=(-2, -1))
    return float(channel_means(model, LAYER, x)[0, CHANNEL])


def high_frequency_share(picture: np.ndarray, cutoff: float = 0.25) -> float:
    """Share of the spectral energy of an (H, W, 3) array above ``cutoff`` cycles per pixel."""
    x = picture - picture.mean(axis=(0, 1))
    power = np.abs(np.fft.fft2(x, axes=(0, 1))) ** 2
    fy, fx = np.fft.fftfreq(x.shape[0])[:, None], np.fft.fftfreq(x.shape[1])[None, :]
    high = np.sqrt(fx * fx + fy * fy) > cutoff
    return float(power[high].sum() / power.sum())


def test_negative_scores_lower_than_positive(explorer, model):
    positive = unit_value(model, run(explorer)[0])
    start = unit_value(model, streamed(explorer, 0))
    negative = unit_value(model, run(explorer, negative=True)[0])
    print(f"negative {negative:.4f} start {start:.4f} positive {positive:.4f}")
    assert negative < start < positive
    assert negative < 0.5 * positive


def test_from_image_starts_at_the_photo(explorer):
    photo = explorer.input_image.resize((SIZE, SIZE), Image.BILINEAR, reducing_gap=None)
    run(explorer, from_image=True, steps=1)
    start = np.abs(as_array(streamed(explorer, 0)) - as_array(photo)).mean()
    run(explorer, from_image=False, steps=1)
    noise = np.abs(as_array(streamed(explorer, 0)) - as_array(photo)).mean()
    print(f"from the photo {start:.2f} levels, from noise {noise:.2f} levels")
    assert start < 2.0 and noise > 20.0


def test_batch_of_three_gives_three_distinct_pictures(explorer, model):
    pictures = run(explorer, batch=3)
    assert len(pictures) == 3 and all(p.size == (SIZE, SIZE) for p in pictures)
    arrays = [as_array(p) for p in pictures]
    gaps = [np.abs(arrays[i] - arrays[j]).mean() for i in range(3) for j in range(i + 1, 3)]
    values = [unit_value(model, p) for p in pictures]
    print("gaps", gaps, "values", values)
    assert min(gaps) > 10.0  # levels of 255, on average over all pixels
    start = unit_value(model, streamed(explorer, 0).crop((0, 0, SIZE, SIZE)))
    assert min(values) > start  # each one is still a picture of the unit


def test_transforms_make_the_picture_robust_to_shifts(explorer, model):
    """With the robustness transforms the picture keeps its effect when shifted; without them it is tuned
    to the exact view (higher there, lower when shifted)."""
    steps = 24
    robust = run(explorer, transforms=True, steps=steps)[0]
    exact = run(explorer, transforms=False, steps=steps)[0]
    kept = {}
    for name, picture in (("transforms", robust), ("none", exact)):
        here = unit_value(model, picture)
        shifted = np.mean([unit_value(model, picture, s) for s in (2, 4, 6)])
        kept[name] = (here, shifted / here)
    print(kept)
    assert kept["none"][0] > kept["transforms"][0]
    assert kept["transforms"][1] > kept["none"][1] + 0.05


def test_fourier_param_changes_coarse_structure_pixel_param_fine_detail(explorer):
    """One step from the photo: the change is smoother in the Fourier parameterization than in pixels.

    A batch of two: "from input image" with one picture is feature accentuation, which works on
    pixels whatever ``param`` says; a batch starts every picture from the photo in ``param``'s space."""
    shares = {}
    for param in ("fft", "pixel"):
        first = run(explorer, from_image=True, param=param, steps=1, transforms=False, batch=2)[0]
        change = as_array(streamed(explorer, 0))[:, :SIZE] - as_array(first)  # the batch streams as a strip
        shares[param] = high_frequency_share(change)
    print(shares)
    assert shares["fft"] < 0.6 * shares["pixel"]
