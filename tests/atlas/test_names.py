"""`cnnwidget.atlas` is the subpackage again; the old function name still works, with a warning."""

from __future__ import annotations

import importlib
import json
import types

import pytest

import cnnwidget
from tests.atlas.conftest import LAYER, QUICK


def test_cnnwidget_atlas_is_the_subpackage_with_its_modules():
    assert isinstance(cnnwidget.atlas, types.ModuleType)
    store = importlib.import_module("cnnwidget.atlas.store")
    assert cnnwidget.atlas.store is store and cnnwidget.atlas.store.AtlasStore is cnnwidget.atlas.AtlasStore
    assert cnnwidget.build_atlas is cnnwidget.atlas.build_atlas
    assert "build_atlas" in cnnwidget.__all__


def test_calling_the_old_names_warns_and_builds_the_same_atlas(tmp_path):
    with pytest.warns(DeprecationWarning, match="build_atlas"):
        old = cnnwidget.atlas("default", [LAYER], tmp_path / "old", units="0:2", batch=2, workers=0, **QUICK)
    with pytest.warns(DeprecationWarning, match="build_atlas"):
        alias = cnnwidget.atlas.atlas("default", [LAYER], tmp_path / "alias", units="0:2", batch=2, workers=0, **QUICK)
    new = cnnwidget.build_atlas("default", [LAYER], tmp_path / "new", units="0:2", batch=2, workers=0, **QUICK)
    assert len(old.computed) == len(alias.computed) == len(new.computed) == 2
    records = [json.loads((r.out / "atlas.json").read_text())["units"] for r in (old, alias, new)]
    assert [u["value"] for u in records[0]] == [u["value"] for u in records[1]] == [u["value"] for u in records[2]]
