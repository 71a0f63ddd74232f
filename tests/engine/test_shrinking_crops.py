"""MACO's transformation: crops that zoom in as the run goes on, plus noise."""

import pytest
import torch

from cnnwidget.engine.shrinking_crops import ShrinkingCrops
from cnnwidget.engine.transforms import resolve_transforms


def ramp(size: int = 64) -> torch.Tensor:
    x = torch.linspace(0, 1, size)
    return x.expand(1, 3, size, size).clone()


def visible_span(crops: ShrinkingCrops, progress: float, draws: int = 40) -> float:
    """Mean share of the horizontal ramp's range that a crop shows."""
    crops.progress = progress
    g = torch.Generator().manual_seed(0)
    spans = []
    for _ in range(draws):
        row = crops(ramp(), g)[0, 0, 32]
        spans.append(float(row[-1] - row[0]))
    return sum(spans) / len(spans)


def test_crops_shrink_as_the_run_goes_on():
    crops = ShrinkingCrops(start=1.0, end=0.5, spread=0.05, noise=0.0)
    early, late = visible_span(crops, 0.0), visible_span(crops, 1.0)
    assert early > 0.9 and 0.4 < late < 0.6


def test_output_keeps_the_size_and_adds_noise_of_the_stated_strength():
    crops = ShrinkingCrops(start=1.0, end=1.0, spread=0.0, noise=0.05)
    flat = torch.full((2, 3, 32, 32), 0.5)
    out = crops(flat, torch.Generator().manual_seed(0))
    assert out.shape == flat.shape
    assert abs(float((out - flat).std()) - 0.05) < 0.005


def test_same_generator_same_view():
    crops = ShrinkingCrops()
    crops.progress = 0.5
    x = torch.rand(1, 3, 40, 40, generator=torch.Generator().manual_seed(2))
    a = crops(x, torch.Generator().manual_seed(1))
    b = crops(x, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_named_crops_and_bad_sides():
    assert isinstance(resolve_transforms("crops"), ShrinkingCrops)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        ShrinkingCrops(start=1.2)
