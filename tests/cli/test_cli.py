"""The cnnwidget command: maximize, dream, gallery, and errors that name the fix."""

import textwrap

import numpy as np
import pytest
from PIL import Image

from cnnwidget.cli.main import main

TINY = textwrap.dedent(
    """
    import torch
    from torch import nn

    def build():
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 6, 3, padding=1))
    """
)


@pytest.fixture()
def tiny(tmp_path, monkeypatch):
    (tmp_path / "cli_tiny_net.py").write_text(TINY)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "cli_tiny_net:build"


@pytest.fixture()
def photo(tmp_path):
    rng = np.random.default_rng(0)
    arr = (rng.random((60, 90, 3)) * 255).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(arr).save(path)
    return path


def test_maximize_writes_a_picture(tiny, tmp_path):
    out = tmp_path / "unit.png"
    assert main(["maximize", tiny, "2:3", "-o", str(out), "--steps", "3", "--size", "32", "-q"]) == 0
    with Image.open(out) as img:
        assert img.size == (32, 32)


def test_maximize_a_torchvision_model_with_random_weights(tmp_path):
    out = tmp_path / "r18.png"
    code = main(["maximize", "resnet18", "layer2.0.conv1:5", "--weights", "none", "-o", str(out),
                 "--steps", "2", "--size", "64", "--seed", "1", "--device", "cpu", "-q"])
    assert code == 0 and out.exists()


def test_gallery_is_one_labelled_grid(tiny, tmp_path):
    out = tmp_path / "grid.png"
    assert main(["gallery", tiny, "2", "-o", str(out), "--units", "0:4", "--steps", "2", "--size", "32", "-q"]) == 0
    with Image.open(out) as img:
        w, h = img.size
        assert w > 2 * 32 and h > 2 * 32  # a 2x2 grid with labels and a title


def test_dream_keeps_the_photo_size(tiny, photo, tmp_path):
    out = tmp_path / "dream.png"
    code = main(["dream", str(photo), "-o", str(out), "--model", tiny, "--layer", "2", "--octaves", "2",
                 "--steps", "2", "-q"])
    assert code == 0
    with Image.open(out) as img:
        assert img.size == (90, 60)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["maximize", "{tiny}", "conv9:1"], "unknown layer 'conv9'"),
        (["maximize", "{tiny}", "2:6"], "use 0..5"),
        (["maximize", "{tiny}", "2:x1"], "layer:channel"),
        (["gallery", "{tiny}", "2", "--units", "0:99:1:2"], "START:STOP"),
        (["gallery", "{tiny}", "2", "--units", "4,7"], "use 0..5"),
        (["dream", "{bad}", "--model", "{tiny}"], "not a readable image"),
        (["dream", "{missing}", "--model", "{tiny}"], "no image file"),
        (["maximize", "no_such_model_xyz", "a:1"], "no_such_model_xyz"),
    ],
)
def test_errors_are_one_line_with_exit_status_2(argv, message, tiny, tmp_path, capsys):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    fill = {"tiny": tiny, "bad": str(bad), "missing": str(tmp_path / "nope.jpg")}
    argv = [a.format(**fill) for a in argv] + ["-o", str(tmp_path / "x.png"), "--steps", "1", "-q"]
    if argv[0] != "dream":
        argv += ["--size", "32"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_missing_output_folder_is_explained(tiny, tmp_path, capsys):
    out = tmp_path / "no" / "such" / "dir.png"
    assert main(["maximize", tiny, "2:1", "-o", str(out), "--steps", "1", "--size", "32", "-q"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["maximize"])
    assert exc.value.code == 2


def test_maximize_with_maco_saves_the_picture_and_its_mask(tiny, tmp_path):
    out, mask = tmp_path / "unit.png", tmp_path / "mask.png"
    assert main(["maximize", tiny, "2:3", "-o", str(out), "--mask", str(mask), "--param", "maco",
                 "--steps", "4", "--size", "32", "-q"]) == 0
    with Image.open(out) as img, Image.open(mask) as m:
        assert img.size == m.size == (32, 32) and m.mode == "L"
        assert np.asarray(img).std() > 20  # MACO's textured, photo-contrast picture
        assert np.asarray(m).max() == 255


def test_gallery_takes_the_parameterization(tiny, tmp_path):
    out = tmp_path / "g.png"
    assert main(["gallery", tiny, "2", "--units", "0:2", "--param", "maco", "-o", str(out),
                 "--steps", "2", "--size", "32", "-q"]) == 0
    assert out.exists()


GREY = textwrap.dedent(
    """
    import torch
    from torch import nn

    def build():
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(8, 6, 3))
    """
)


def test_what_was_adapted_to_fit_the_model_is_printed_as_a_note(tmp_path, monkeypatch, capsys):
    (tmp_path / "cli_grey_net.py").write_text(GREY)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "unit.png"
    assert main(["maximize", "cli_grey_net:build", "2:3", "-o", str(out), "--steps", "2", "--size", "32", "-q"]) == 0
    err = capsys.readouterr().err
    assert err.count("note: the model takes 1 channel: it is fed the picture's grey level") == 1
    assert "InputNote" not in err and "warnings.warn" not in err  # a note, not a Python warning
    with Image.open(out) as picture:
        assert picture.size == (32, 32)
