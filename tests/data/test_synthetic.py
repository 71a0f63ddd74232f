"""The procedural image generator behind the default model."""

import torch

from cnnwidget.data import CLASSES, make_batch


def test_batch_shape_range_and_labels():
    images, labels = make_batch(24, size=64, seed=3)
    assert images.shape == (24, 3, 64, 64) and images.dtype == torch.float32
    assert 0 <= images.min() and images.max() <= 1
    assert labels.shape == (24,) and labels.max() < len(CLASSES)
    assert len(CLASSES) >= 10 and len(set(CLASSES)) == len(CLASSES)


def test_a_seed_fixes_the_images():
    a, la = make_batch(8, size=48, seed=7)
    b, lb = make_batch(8, size=48, seed=7)
    c, _ = make_batch(8, size=48, seed=8)
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert not torch.equal(a, c)


def test_requested_labels_are_rendered():
    labels = torch.arange(len(CLASSES))
    images, out = make_batch(len(CLASSES), size=48, seed=0, labels=labels)
    assert torch.equal(out, labels)
    assert images.std(dim=(1, 2, 3)).min() > 0.02  # no blank pictures


def _gradient_energy(images):
    gray = images.mean(dim=1)
    dx = (gray[:, :, 1:] - gray[:, :, :-1]).abs().mean()
    dy = (gray[:, 1:, :] - gray[:, :-1, :]).abs().mean()
    return dx.item(), dy.item()


def test_gratings_have_the_orientation_their_class_names():
    n = 24
    for name, expect in [("stripes_horizontal", "dy"), ("stripes_vertical", "dx")]:
        labels = torch.full((n,), CLASSES.index(name))
        dx, dy = _gradient_energy(make_batch(n, size=96, seed=1, labels=labels)[0])
        assert (dy > 1.5 * dx) if expect == "dy" else (dx > 1.5 * dy), (name, dx, dy)


def test_diagonal_gratings_lean_the_way_their_class_names():
    n = 24
    for name in ("stripes_diagonal_up", "stripes_diagonal_down"):
        gray = make_batch(n, size=96, seed=2, labels=torch.full((n,), CLASSES.index(name)))[0].mean(dim=1)
        along_slash = (gray[:, :-1, 1:] - gray[:, 1:, :-1]).abs().mean()  # one step up-right: "/"
        along_backslash = (gray[:, 1:, 1:] - gray[:, :-1, :-1]).abs().mean()  # one step down-right: "\\"
        # Lines change little along their own direction.
        if name == "stripes_diagonal_up":
            assert along_backslash > 1.5 * along_slash, (name, along_slash, along_backslash)
        else:
            assert along_slash > 1.5 * along_backslash, (name, along_slash, along_backslash)
