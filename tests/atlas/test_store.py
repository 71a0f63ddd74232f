"""The atlas directory: atomic writes, atlas.json, recovery from PNGs, settings checks."""

from __future__ import annotations

import json
import os

import pytest
from PIL import Image

from cnnwidget.atlas.plan import Unit
from cnnwidget.atlas.store import ATLAS_JSON, AtlasError, AtlasStore, atomic_write, layer_dir
from cnnwidget.atlas.work import UnitResult, encode_png, png_record

HEADER = {"model": "default", "weights": None,
          "settings": {"steps": 6, "size": 16, "seed": 0, "batch": 4, "param": "fft", "precision": "float32"},
          "layers": {"stage2": {"channels": 96}}}


def result(channel: int, value: float = 1.5) -> UnitResult:
    record = {"layer": "stage2", "unit": channel, "value": value, "steps": 6, "size": 16, "seed": 123 + channel,
              "global_seed": 0, "batch": 4, "param": "fft", "precision": "float32", "device": "cpu"}
    return UnitResult({**record, "seconds": 0.1}, encode_png(Image.new("RGB", (16, 16), (channel, 0, 0)), record))


def test_atomic_write_leaves_nothing_when_the_rename_fails(tmp_path, monkeypatch):
    target = tmp_path / "x.png"

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, b"data")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_whole_files(tmp_path):
    target = tmp_path / "x.bin"
    atomic_write(target, b"old")
    atomic_write(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


def test_records_round_trip_through_atlas_json(tmp_path):
    store = AtlasStore.create_or_resume(tmp_path, HEADER)
    run = store.start_run({"executor": "test"})
    store.add(result(3), run)
    store.flush(force=True)
    data = json.loads((tmp_path / ATLAS_JSON).read_text())
    assert data["model"] == "default" and data["settings"]["steps"] == 6
    assert data["units"][0] == {**result(3).record, "file": "stage2/3.png", "run": 0}
    again = AtlasStore.open(tmp_path)
    assert again.done(Unit("stage2", 3)) and not again.done(Unit("stage2", 4))
    assert again.units() == {"stage2": [3]}
    assert png_record(again.png(Unit("stage2", 3)))["seed"] == 126


def test_a_png_saved_after_the_last_atlas_json_is_recovered(tmp_path):
    store = AtlasStore.create_or_resume(tmp_path, HEADER)
    store.add(result(1))
    store.flush(force=True)
    store.add(result(2))  # the process dies before atlas.json is rewritten
    again = AtlasStore.create_or_resume(tmp_path, HEADER)
    assert again.done(Unit("stage2", 2))
    assert again.records[Unit("stage2", 2)]["value"] == 1.5


def test_a_png_listed_but_deleted_is_not_done(tmp_path):
    store = AtlasStore.create_or_resume(tmp_path, HEADER)
    store.add(result(1))
    store.flush(force=True)
    (tmp_path / "stage2" / "1.png").unlink()
    assert not AtlasStore.create_or_resume(tmp_path, HEADER).done(Unit("stage2", 1))


def test_other_settings_refuse_to_resume(tmp_path):
    AtlasStore.create_or_resume(tmp_path, HEADER).flush(force=True)
    other = {**HEADER, "settings": {**HEADER["settings"], "steps": 64}}
    with pytest.raises(AtlasError, match="made with settings=.*choose another --out"):
        AtlasStore.create_or_resume(tmp_path, other)


def test_temporaries_of_a_killed_writer_are_removed(tmp_path):
    (tmp_path / "stage2").mkdir()
    (tmp_path / "stage2" / ".tmp-999-4.png").write_bytes(b"half a png")
    (tmp_path / ".tmp-999-atlas.json").write_text("{")
    AtlasStore.create_or_resume(tmp_path, HEADER)
    assert not list(tmp_path.rglob(".tmp-*"))


def test_opening_a_directory_without_an_atlas_names_the_fix(tmp_path):
    with pytest.raises(AtlasError, match="cnnwidget atlas MODEL"):
        AtlasStore.open(tmp_path)


def test_layer_names_become_safe_folder_names():
    assert layer_dir("layer3.1") == "layer3.1"
    assert layer_dir("features/0") == "features_0"
    assert layer_dir("..") == "_.."
