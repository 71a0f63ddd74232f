"""Class visualization on the shipped default model is truthful: the model sees the class it was asked for."""

import torch

from cnnwidget.engine.maximize import Maximizer, maximize
from cnnwidget.engine import transforms as T
from cnnwidget.engine.preprocessing import Preprocess, to_tensor
from cnnwidget.models.default_model import default_model
from tests.model_state import assert_same_state, model_state


def _views(pixels: torch.Tensor, seed: int, count: int):
    """Random shifts (up to 16 px), scales (0.8-1.2) and rotations (-20..20 degrees) of the pictures."""
    g = torch.Generator().manual_seed(seed)
    scale = T.random_scale([0.8 + 0.05 * i for i in range(9)])
    rotate = T.random_rotate(list(range(-20, 21, 2)))
    size = pixels.shape[-1]
    for _ in range(count):
        x = rotate(scale(T.pad(16)(pixels, g), g), g)
        top, left = (int(v) for v in torch.randint(0, x.shape[-1] - size + 1, (2,), generator=g))
        yield x[..., top : top + size, left : left + size]


def test_each_class_picture_is_classified_as_its_class():
    net = default_model().train()
    before = model_state(net)
    classes = net.cnnwidget_classes
    engine = Maximizer(net, [f"logits:{k}" for k in range(len(classes))], steps=64, size=128, seed=0)
    engine.run()
    assert_same_state(before, model_state(net))
    pixels = engine.pixels()
    normalize = net.cnnwidget_preprocess.normalize
    net.eval()
    with torch.no_grad():
        probs = torch.softmax(net(normalize(pixels)), 1)
        assert probs.argmax(1).tolist() == list(range(len(classes)))
        assert probs.diagonal().min() >= 0.9, probs.diagonal()
        for view in _views(pixels, seed=1, count=12):
            assert view.shape == pixels.shape
            p = torch.softmax(net(normalize(view)), 1).diagonal()
            assert p.min() >= 0.9, [f"{c}: {float(v):.3f}" for c, v in zip(classes, p)]


def test_class_objective_also_works_when_no_layer_is_image_like():
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 16 * 16, 4))
    before = model_state(net)
    picture = maximize(net, "probs:2", steps=24, size=16, seed=0, progress=False)
    assert_same_state(before, model_state(net))
    x = to_tensor(picture)[None]
    grey = torch.full_like(x, 0.5)
    with torch.no_grad():
        probs, start = (torch.softmax(net(Preprocess().normalize(v)), 1)[0] for v in (x, grey))
    assert probs.argmax() == 2 and probs[2] > 2 * start[2]
