"""Redirected ReLUs: same forward, gradient through silent units, nothing left behind."""

import torch
import torch.nn.functional as F
from torch import nn

from cnnwidget.engine.maximize import Maximizer
from cnnwidget.engine.relu_redirect import redirected_relu, redirected_relus


def test_forward_is_unchanged_for_every_relu_form():
    x = torch.randn(2, 3, 5, 5)
    with redirected_relus():
        outs = [nn.ReLU(inplace=True)(x.clone()), F.relu(x), torch.relu(x), x.relu(), x.clone().relu_(),
                nn.ReLU6()(x * 10)]
    for out in outs[:-1]:
        assert torch.equal(out, x.clamp_min(0))
    assert torch.equal(outs[-1], (x * 10).clamp(0, 6))


def test_gradient_passes_where_it_would_wake_a_silent_unit():
    x = torch.full((1, 1, 2, 2), -1.0, requires_grad=True)
    (-redirected_relu(x).sum()).backward()  # loss falls as x rises: grad < 0, may pass
    assert torch.all(x.grad == -1)
    x.grad = None
    redirected_relu(x).sum().backward()  # would push x further down: blocked
    assert torch.all(x.grad == 0)


def test_ordinary_gradient_kept_when_any_flows():
    x = torch.tensor([[-1.0, 2.0]], requires_grad=True)
    (-redirected_relu(x).sum()).backward()
    assert x.grad.tolist() == [[0.0, -1.0]]


def test_outside_the_block_relu_is_ordinary():
    with redirected_relus():
        pass
    x = torch.full((1, 3), -1.0, requires_grad=True)
    F.relu(x).sum().backward()
    assert torch.all(x.grad == 0)


def test_a_unit_silent_at_the_start_is_still_maximized():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 2, 3, padding=1)
    with torch.no_grad():
        conv.bias.fill_(-0.3)  # every position off for grey-ish inputs
    model = nn.Sequential(conv, nn.ReLU())
    silent = Maximizer(model, "1:0", steps=24, size=32, seed=0, redirect_steps=0)
    assert float(silent.evaluate()) == 0.0
    silent.run()
    assert float(silent.evaluate()) == 0.0  # without the redirect nothing moves
    woken = Maximizer(model, "1:0", steps=24, size=32, seed=0)
    woken.run()
    assert float(woken.evaluate()) > 0.1


def test_a_unit_silent_at_a_maco_start_is_still_woken():
    """MACO pictures start at the photos' contrast, so the unit needs a deeper bias to be silent.

    Their contrast stays fixed, so the unit can rise only a little above 0; it
    must rise with the redirect and stay exactly 0 without it.
    """
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 2, 3, padding=1)
    with torch.no_grad():
        conv.bias.fill_(-1.8)
    model = nn.Sequential(conv, nn.ReLU())
    silent = Maximizer(model, "1:0", steps=48, size=32, seed=0, param="maco", redirect_steps=0)
    assert float(silent.evaluate()) == 0.0
    silent.run()
    assert float(silent.evaluate()) == 0.0
    woken = Maximizer(model, "1:0", steps=48, size=32, seed=0, param="maco")
    woken.run()
    assert float(woken.evaluate()) > 1e-3
