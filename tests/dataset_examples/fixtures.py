"""Shared fixtures: a planted folder and its index made by the local executor.

``tests/dataset_examples/conftest.py`` offers them to this folder; the tests of the
command (tests/cli), the explorer panel (tests/widget) and the atlas page (tests/atlas)
import them by name.
"""

from __future__ import annotations

import pytest

from tests.dataset_examples.planted import PlantedNet, planted_folder

LAYERS = ["edges", "blur"]
QUICK = dict(k=3, batch=4, shard=8, progress=False)


@pytest.fixture(scope="session")
def planted(tmp_path_factory):
    """``(folder, {kind: {file: box}})``: 20 plain pictures and 2 planted per kind."""
    root = tmp_path_factory.mktemp("planted") / "src"
    return root, planted_folder(root)


@pytest.fixture(scope="session")
def planted_index(planted, tmp_path_factory):
    """The index of the planted folder (local executor, 1 decoding worker)."""
    from cnnwidget.dataset_examples import dataset_examples

    root, _ = planted
    out = tmp_path_factory.mktemp("index") / "out"
    return dataset_examples(PlantedNet(), root, LAYERS, out=out, workers=1, **QUICK)
