"""Ray Data executor on a local Ray: the same index as the local executor, byte for byte."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cnnwidget.dataset_examples import ExamplesError, dataset_examples
from tests.dataset_examples.fixtures import LAYERS, QUICK
from tests.dataset_examples.planted import PlantedNet

import ray  # noqa: E402 - the test install includes the [ray] extra

REPO = Path(__file__).resolve().parents[2]


def _rows(db: Path, table: str) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def test_ray_gives_the_same_index_as_local(planted, planted_index, tmp_path):
    root, _ = planted
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}})
    try:
        # "auto" picks Ray because it is initialized; one model actor, decoding in Ray tasks.
        index = dataset_examples(PlantedNet(), root, LAYERS, out=tmp_path / "ray", executor="auto", workers=1, **QUICK)
        assert ray.is_initialized()  # a Ray it did not start is left running
    finally:
        ray.shutdown()
    assert [run["executor"] for run in index.report.runs] == ["ray"]
    for table in ("examples", "units", "partials", "skipped"):
        assert _rows(index.database, table) == _rows(planted_index.database, table), table
    crops = sorted(p.relative_to(index.root) for p in (index.root / "crops").rglob("*.jpg"))
    assert crops == sorted(p.relative_to(planted_index.root) for p in (planted_index.root / "crops").rglob("*.jpg"))
    with sqlite3.connect(index.database) as con:  # one file per picture and box, shared by units peaking there
        distinct = con.execute("SELECT COUNT(DISTINCT crop) FROM examples").fetchone()[0]
    assert len(crops) == distinct and 8 * 3 // 2 < distinct <= 8 * 3
    for crop in crops:
        assert (index.root / crop).read_bytes() == (planted_index.root / crop).read_bytes(), crop


def test_ray_data_missing_names_the_extra(monkeypatch, planted, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_ray_data(name, *args, **kwargs):
        if name == "ray.data" or (name == "ray" and args and args[2] and "data" in args[2]):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray_data)
    with pytest.raises(ExamplesError, match=r"pip install 'cnnwidget\[ray\]'"):
        dataset_examples(PlantedNet(), planted[0], LAYERS, out=tmp_path / "x", executor="ray", **QUICK)
    assert not (tmp_path / "x").exists()
