"""The command line's flags, each checked for its effect on the saved pictures.

The same tiny model runs through the command and through the Python API; the
saved sheets are searched, pixel for pixel, for the API's pictures.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cnnwidget
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
SIZE = 32
REPO = Path(__file__).resolve().parents[1]
QUICK = ["--steps", "3", "--size", str(SIZE), "-q"]


@pytest.fixture()
def tiny(tmp_path, monkeypatch):
    (tmp_path / "cli_flags_net.py").write_text(TINY)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "cli_flags_net:build"


@pytest.fixture()
def tiny_model(tiny):
    return cnnwidget.load_model(tiny)


@pytest.fixture()
def photo_file(tmp_path):
    y, x = np.mgrid[0:60, 0:90]
    rgb = np.stack([x / 90, y / 60, 0.5 + 0.5 * np.sin(x / 5)], axis=-1)
    path = tmp_path / "photo.png"
    Image.fromarray((rgb * 255).astype(np.uint8)).save(path)
    return path


def pixels(image_or_path) -> np.ndarray:
    image = image_or_path if isinstance(image_or_path, Image.Image) else Image.open(image_or_path)
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def places(sheet: np.ndarray, tile: np.ndarray) -> list[tuple[int, int]]:
    """Every (y, x) where ``tile`` appears in ``sheet`` exactly."""
    h, w = tile.shape[:2]
    ys, xs = np.nonzero(np.all(sheet[: sheet.shape[0] - h + 1, : sheet.shape[1] - w + 1] == tile[0, 0], axis=-1))
    return [(int(y), int(x)) for y, x in zip(ys, xs) if np.array_equal(sheet[y:y + h, x:x + w], tile)]


def only_place(sheet, tile) -> tuple[int, int]:
    found = places(sheet, tile)
    assert len(found) == 1, f"the picture appears {len(found)} times in the sheet"
    return found[0]


def test_maximize_batch_saves_three_distinct_pictures_in_one_sheet(tiny, tiny_model, tmp_path):
    out = tmp_path / "batch.png"
    assert main(["maximize", tiny, "2:3", "-o", str(out), "--batch", "3", *QUICK]) == 0
    expected = cnnwidget.maximize(tiny_model, "2:3", steps=3, size=SIZE, batch=3, seed=0, progress=False)
    assert len(expected) == 3
    sheet = pixels(out)
    spots = {only_place(sheet, pixels(picture)) for picture in expected}
    assert len(spots) == 3  # three places, three different pictures
    assert len({pixels(p).tobytes() for p in expected}) == 3
    one = tmp_path / "one.png"
    assert main(["maximize", tiny, "2:3", "-o", str(one), *QUICK]) == 0
    assert Image.open(one).size == (SIZE, SIZE)  # without --batch: a single picture, no sheet


def test_maximize_image_starts_from_the_photo(tiny, tiny_model, photo_file, tmp_path):
    start = pixels(cnnwidget.load_image(photo_file).resize((SIZE, SIZE), Image.BILINEAR))
    distance = {}
    for name, extra in (("photo", ["--image", str(photo_file)]), ("noise", [])):
        out = tmp_path / f"from-{name}.png"
        assert main(["maximize", tiny, "2:3", "-o", str(out), "--steps", "1", "--size", str(SIZE), "-q", *extra]) == 0
        distance[name] = float(np.abs(pixels(out) - start).mean())
    expected = cnnwidget.maximize(tiny_model, "2:3", steps=1, size=SIZE, image=photo_file, seed=0, progress=False)
    assert np.array_equal(pixels(tmp_path / "from-photo.png"), pixels(expected))
    assert distance["photo"] < 0.5 * distance["noise"], distance


def test_maximize_param_selects_the_parameterization(tiny, tiny_model, tmp_path):
    saved = {}
    for param in ("pixel", "fft"):
        out = tmp_path / f"{param}.png"
        assert main(["maximize", tiny, "2:3", "-o", str(out), "--param", param, *QUICK]) == 0
        saved[param] = pixels(out)
        expected = cnnwidget.maximize(tiny_model, "2:3", steps=3, size=SIZE, param=param, seed=0, progress=False)
        assert np.array_equal(saved[param], pixels(expected)), param
    assert np.abs(saved["pixel"] - saved["fft"]).mean() > 5


@pytest.mark.parametrize("columns, rows", [(4, 1), (1, 4), (3, 2)])
def test_gallery_columns_lay_out_the_grid(tiny, tiny_model, tmp_path, columns, rows):
    out = tmp_path / f"grid{columns}.png"
    assert main(["gallery", tiny, "2", "-o", str(out), "--units", "0:4", "--columns", str(columns), *QUICK]) == 0
    expected = cnnwidget.maximize(tiny_model, [f"2:{u}" for u in range(4)], steps=3, size=SIZE, seed=0, progress=False)
    sheet = pixels(out)
    spots = [only_place(sheet, pixels(p)) for p in expected]
    xs, ys = sorted({x for _, x in spots}), sorted({y for y, _ in spots})
    assert (len(xs), len(ys)) == (min(columns, 4), rows)
    assert spots == sorted(spots)  # units in reading order: row by row, left to right
    for i, (y, x) in enumerate(spots):
        assert (ys.index(y), xs.index(x)) == divmod(i, columns)


def test_dream_repeated_layer_amplifies_every_named_layer(tiny, tiny_model, photo_file, tmp_path):
    args = ["--octaves", "1", "--steps", "3", "--jitter", "0", "-q", "--model", tiny]
    outs = {}
    for name, layers in (("both", ["0", "2"]), ("first", ["0"]), ("second", ["2"])):
        out = tmp_path / f"{name}.png"
        flags = [flag for layer in layers for flag in ("--layer", layer)]
        assert main(["dream", str(photo_file), "-o", str(out), *flags, *args]) == 0
        outs[name] = pixels(out)
    expected = cnnwidget.deepdream(tiny_model, cnnwidget.load_image(photo_file), layers=["0", "2"], octaves=1,
                                   steps=3, jitter=0, seed=0, progress=False)
    assert np.array_equal(outs["both"], pixels(expected))
    assert not np.array_equal(outs["both"], outs["first"]) and not np.array_equal(outs["both"], outs["second"])


def test_atlas_ray_runs_on_ray_and_makes_the_local_pictures(tmp_path):
    """``--ray`` sends the work to Ray (here a local Ray with 2 CPUs, started by the test as in
    tests/atlas/test_ray.py, so the command connects to it) and makes the same pictures."""
    import ray

    args = ["default", "--layers", "stage1", "--units", "0:2", "--steps", "3", "--size", "32", "--batch", "2",
            "--weights", "none", "-q"]
    assert main(["atlas", *args, "--workers", "0", "--out", str(tmp_path / "local")]) == 0
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}})
    try:
        assert main(["atlas", *args, "--ray", "--out", str(tmp_path / "ray")]) == 0
    finally:
        ray.shutdown()
    local_runs = json.loads((tmp_path / "local" / "atlas.json").read_text())["runs"]
    ray_runs = json.loads((tmp_path / "ray" / "atlas.json").read_text())["runs"]
    assert [run["executor"] for run in local_runs] == ["in-process"]
    assert [run["executor"] for run in ray_runs] == ["ray"]
    for unit in (0, 1):
        assert np.array_equal(pixels(tmp_path / "ray" / "stage1" / f"{unit}.png"),
                              pixels(tmp_path / "local" / "stage1" / f"{unit}.png"))
