"""The local executors: a process pool and in-process runs make the same pictures; atlas.json says how."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnwidget.atlas import build_atlas as atlas
from cnnwidget.atlas.plan import Unit, unit_seed
from cnnwidget.atlas.source import ModelSource
from cnnwidget.engine.layer_catalog import LayerError
from tests.atlas.conftest import LAYER, QUICK, pixels


def test_pool_writes_every_unit_and_the_record(local_atlas):
    out = local_atlas.out
    assert sorted(local_atlas.computed) == [Unit(LAYER, c) for c in range(6)]
    assert local_atlas.executor == {"executor": "local", "workers": 2, "threads": 1}
    data = json.loads((out / "atlas.json").read_text())
    assert data["model"] == "default" and data["weights"] is None
    assert data["settings"] == {"steps": 6, "size": 40, "seed": 0, "batch": 3, "param": "fft", "precision": "float32"}
    assert data["layers"] == {LAYER: {"channels": 96}}
    assert {"cnnwidget", "torch", "torchvision", "python"} <= set(data["runs"][0]["versions"])
    for record in data["units"]:
        assert record["seed"] == unit_seed(0, LAYER, record["unit"])
        assert record["steps"] == 6 and record["size"] == 40 and np.isfinite(record["value"])
        assert pixels(out / record["file"]).shape == (40, 40, 3)
    assert not list(out.rglob(".tmp-*"))


def test_in_process_makes_the_same_pictures_as_the_pool(local_atlas, tmp_path):
    """Two worker processes vs this process (one thread, as each worker)."""
    model = ModelSource.of("default", None).build()
    here = atlas(model, [LAYER], tmp_path, units="0:6", batch=3, threads=1, **QUICK)
    assert here.executor["executor"] == "in-process"
    for c in range(6):
        a, b = pixels(local_atlas.out / f"{LAYER}/{c}.png"), pixels(tmp_path / f"{LAYER}/{c}.png")
        assert np.array_equal(a, b), f"unit {c} differs by up to {np.abs(a - b).max()} levels"
    values = {r["unit"]: r["value"] for r in json.loads((tmp_path / "atlas.json").read_text())["units"]}
    reference = {r["unit"]: r["value"] for r in json.loads((local_atlas.out / "atlas.json").read_text())["units"]}
    assert values == reference


def test_callback_sees_every_saved_record(tmp_path):
    seen = []
    model = ModelSource.of("default", None).build()
    atlas(model, "stage1", tmp_path, units="0,5", batch=8, callback=seen.append, **QUICK)
    assert sorted(r["unit"] for r in seen) == [0, 5]
    assert all((tmp_path / r["file"]).is_file() for r in seen)


def test_unknown_layer_fails_before_any_work(tmp_path):
    with pytest.raises(LayerError, match="no_such_layer"):
        atlas("default", ["no_such_layer"], tmp_path / "x", **QUICK)
    assert not (tmp_path / "x").exists()


def test_address_without_ray_is_refused(tmp_path):
    with pytest.raises(ValueError, match="executor='ray'"):
        atlas("default", [LAYER], tmp_path, address="auto", **QUICK)


def test_another_batch_size_is_refused_in_the_same_directory(local_atlas):
    from cnnwidget.atlas import AtlasError

    with pytest.raises(AtlasError, match="batch"):
        atlas("default", [LAYER], local_atlas.out, units="0:6", batch=4, **QUICK)


def test_a_maco_atlas_records_maco_and_draws_other_pictures(tmp_path):
    """param="maco" in the atlas: the settings record it, and every unit gets a textured picture of its own."""
    model = ModelSource.of("default", None).build()
    made = {}
    for param in ("fft", "maco"):
        result = atlas(model, [LAYER], tmp_path / param, units="0:2", batch=2, threads=1, param=param, **QUICK)
        data = json.loads((tmp_path / param / "atlas.json").read_text())
        assert data["settings"]["param"] == param and len(result.computed) == 2
        made[param] = [pixels(tmp_path / param / r["file"]) for r in sorted(data["units"], key=lambda r: r["unit"])]
    for fft, maco in zip(made["fft"], made["maco"]):
        assert maco.std() > 20  # MACO starts at the photos' contrast
        assert np.abs(fft - maco).mean() > 10
    with pytest.raises(ValueError, match="'maco'"):
        atlas(model, [LAYER], tmp_path / "bad", units="0:2", param="dct", **QUICK)


def test_a_maco_atlas_stores_each_units_mask_and_the_page_can_show_it(tmp_path):
    """MACO gives a transparency mask per unit: the atlas writes it beside the picture, names it in
    the record, recovers it with the picture, and index.html offers it as an overlay; fft units have none."""
    from PIL import Image

    from cnnwidget.atlas.store import AtlasStore

    model = ModelSource.of("default", None).build()
    atlas(model, [LAYER], tmp_path / "maco", units="0:2", batch=2, threads=1, param="maco", **QUICK)
    data = json.loads((tmp_path / "maco" / "atlas.json").read_text())
    alphas = []
    for record in data["units"]:
        assert record["mask_file"] == f"{record['file'][:-4]}.mask.png"
        with Image.open(tmp_path / "maco" / record["mask_file"]) as mask:
            assert mask.mode == "RGBA" and mask.size == (QUICK["size"], QUICK["size"])
            alphas.append(np.asarray(mask)[..., 3].astype(float))
    for alpha in alphas:
        assert alpha.max() == 255 and alpha.min() < 128  # the unit looked somewhere, not everywhere
    assert np.abs(alphas[0] - alphas[1]).mean() > 1  # each unit its own mask
    page = (tmp_path / "maco" / "index.html").read_text()
    assert 'id="show-masks"' in page and page.count("data-mask=") == 2
    # recovery: a run killed before atlas.json still knows each unit's mask
    (tmp_path / "maco" / "atlas.json").unlink()
    store = AtlasStore.create_or_resume(tmp_path / "maco", {k: v for k, v in data.items() if k != "units"})
    assert all("mask_file" in r for r in store.records.values()) and len(store.records) == 2

    atlas(model, [LAYER], tmp_path / "fft", units="0:2", batch=2, threads=1, param="fft", **QUICK)
    fft = json.loads((tmp_path / "fft" / "atlas.json").read_text())
    assert not any("mask_file" in r for r in fft["units"]) and not list((tmp_path / "fft").rglob("*.mask.png"))
    assert 'id="show-masks"' not in (tmp_path / "fft" / "index.html").read_text()
