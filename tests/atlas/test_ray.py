"""The Ray executor on a local Ray (2 CPUs): the same pictures as locally, and a killed worker is retried."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from cnnwidget.atlas import build_atlas as atlas
from cnnwidget.atlas.plan import Unit
from cnnwidget.atlas.source import ModelSource
from tests.atlas.conftest import LAYER, QUICK, pixels
from tests.atlas.crashing import MARKER
from tests.atlas.unit_values import atlas_problems

import ray  # noqa: E402 - the test install includes the [ray] extra

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    """A local Ray with 2 CPUs; its workers import this checkout and see the crash marker's path."""
    marker = tmp_path_factory.mktemp("ray") / "crashed-once"
    env = {"PYTHONPATH": str(REPO), MARKER: str(marker)}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": env})
    yield marker
    ray.shutdown()


def test_ray_makes_the_same_pictures_as_the_local_executor(local_ray, local_atlas, tmp_path):
    result = atlas("default", [LAYER], tmp_path, units="0:6", batch=3, executor="ray", **QUICK)
    assert result.executor["executor"] == "ray" and result.executor["gpus_per_task"] == 0
    assert sorted(result.computed) == [Unit(LAYER, c) for c in range(6)]
    for c in range(6):
        ours, theirs = tmp_path / f"{LAYER}/{c}.png", local_atlas.out / f"{LAYER}/{c}.png"
        assert np.array_equal(pixels(ours), pixels(theirs)), f"unit {c} differs"
    assert atlas_problems(tmp_path, ModelSource.of("default", None).build()) == []  # right pictures, right files
    assert ray.is_initialized()  # a Ray it did not start is left running


def test_a_killed_worker_is_retried_and_every_unit_arrives(local_ray, tmp_path):
    marker = local_ray
    spec = "tests.atlas.crashing:build"
    result = atlas(spec, [LAYER], tmp_path / "ray", units="0:6", batch=2, executor="ray", **QUICK)
    assert marker.is_file(), "no worker was killed: the test proves nothing"
    assert int(marker.read_text()) != os.getpid()
    assert sorted(result.computed) == [Unit(LAYER, c) for c in range(6)]
    units = json.loads((tmp_path / "ray" / "atlas.json").read_text())["units"]
    assert sorted(r["unit"] for r in units) == list(range(6))
    # The retried task's pictures are those of an undisturbed run.
    here = atlas(ModelSource.of(spec, None).build(), [LAYER], tmp_path / "here", units="0:6", batch=2, threads=1,
                 **QUICK)
    assert len(here.computed) == 6
    for c in range(6):
        assert np.array_equal(pixels(tmp_path / f"ray/{LAYER}/{c}.png"), pixels(tmp_path / f"here/{LAYER}/{c}.png"))


def test_ray_missing_names_the_extra(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    from cnnwidget.atlas import AtlasError

    with pytest.raises(AtlasError, match=r"pip install 'cnnwidget\[ray\]'"):
        atlas("default", [LAYER], tmp_path, executor="ray", **QUICK)
