"""Atlas correctness, not only agreement between executors: each unit's saved picture, reloaded,
gives the recorded value and drives its own unit harder than every other unit's picture."""

from __future__ import annotations

import json
import shutil

import pytest

from cnnwidget.atlas.source import ModelSource
from tests.atlas.conftest import LAYER
from tests.atlas.unit_values import atlas_problems


@pytest.fixture(scope="module")
def model():
    return ModelSource.of("default", None).build()


def test_each_saved_picture_gives_its_recorded_value_and_beats_the_others(local_atlas, model):
    assert atlas_problems(local_atlas.out, model) == []


def test_a_picture_filed_under_the_wrong_channel_fails(local_atlas, model, tmp_path):
    out = tmp_path / "swapped"
    shutil.copytree(local_atlas.out, out)
    a, b = out / LAYER / "0.png", out / LAYER / "3.png"
    a.rename(tmp_path / "0.png")
    b.rename(a)
    (tmp_path / "0.png").rename(b)
    problems = atlas_problems(out, model)
    assert any(p.startswith(f"{LAYER}:0: its picture gives") for p in problems), problems
    assert any(p.startswith(f"{LAYER}:3: its picture gives") for p in problems), problems
    assert any(p.startswith(f"{LAYER}:0: unit 3's picture drives it harder") for p in problems), problems


def test_a_wrong_recorded_value_fails(local_atlas, model, tmp_path):
    out = tmp_path / "misrecorded"
    shutil.copytree(local_atlas.out, out)
    data = json.loads((out / "atlas.json").read_text())
    record = next(r for r in data["units"] if r["unit"] == 2)
    record["value"] *= 1.1
    (out / "atlas.json").write_text(json.dumps(data))
    assert [p.split(":")[1] for p in atlas_problems(out, model)] == ["2"]
