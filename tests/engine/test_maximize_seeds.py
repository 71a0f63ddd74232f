"""Maximizer(seeds=[...]): each picture its own noise and random views, whatever else is in its batch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnwidget.engine import objectives as obj
from cnnwidget.engine.maximize import Maximizer
from cnnwidget.engine.parameterization import image_param


@pytest.fixture
def net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())


def _run(model, channels, seeds, **kw) -> torch.Tensor:
    goals = [obj.channel("2", c) for c in channels]
    return Maximizer(model, goals, steps=6, size=32, seeds=seeds, precision="float32", **kw).run().pixels()


def test_one_seed_repeats_the_plain_seed(net):
    with_seeds = _run(net, [3], [11])
    plain = Maximizer(net, "2:3", steps=6, size=32, seed=11, precision="float32").run().pixels()
    assert torch.equal(with_seeds, plain)


@pytest.mark.parametrize("param", ["soft", "fft", "maco", "pixel"])
def test_a_picture_does_not_depend_on_its_batch(net, param):
    together = _run(net, [0, 1, 2, 5], [10, 11, 12, 15], param=param)
    alone = torch.cat([_run(net, [c], [s], param=param) for c, s in zip([0, 1, 2, 5], [10, 11, 12, 15])])
    regrouped = torch.cat([_run(net, [5, 0], [15, 10], param=param), _run(net, [2, 1], [12, 11], param=param)])
    assert torch.allclose(together, alone, atol=1e-5)
    assert torch.allclose(together[[3, 0, 2, 1]], regrouped, atol=1e-5)


def test_different_seeds_give_different_pictures(net):
    a, b = _run(net, [0, 0], [1, 2])
    assert (a - b).abs().max() > 1e-3


def test_one_seed_per_picture_is_required(net):
    with pytest.raises(ValueError, match="one seed per picture"):
        Maximizer(net, ["2:0", "2:1"], steps=2, size=32, seeds=[1])


def test_param_noise_from_a_list_of_generators_matches_single_draws():
    gens = [torch.Generator().manual_seed(s) for s in (4, 5)]
    batch = image_param("fft", 2, 16, generator=gens)
    singles = [image_param("fft", 1, 16, generator=torch.Generator().manual_seed(s)) for s in (4, 5)]
    assert torch.equal(batch.spectrum.detach(), torch.cat([s.spectrum.detach() for s in singles]))
