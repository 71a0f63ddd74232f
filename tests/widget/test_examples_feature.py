"""``CNNExplorer(model, examples=DIR)``: selecting a unit puts its top crops in ``unit_examples``."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image

from tests.dataset_examples.fixtures import planted, planted_index  # noqa: F401  (fixtures)
from tests.dataset_examples.planted import UNIT, PlantedNet


def _picture(data_url: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))


def test_selecting_a_unit_shows_its_examples_best_first(planted_index, planted):
    from cnnwidget import CNNExplorer

    _, truth = planted
    ex = CNNExplorer(PlantedNet(), layer="edges", examples=planted_index.root)
    assert ex.unit_examples == {} and ex.examples_layers == ["edges", "blur"]
    ex.selected = ("edges", UNIT["red"])
    shown = ex.unit_examples
    assert (shown["layer"], shown["channel"]) == ("edges", UNIT["red"])
    top = planted_index.top("edges", UNIT["red"])
    assert [e["rank"] for e in shown["examples"]] == [0, 1, 2]
    assert [e["score"] for e in shown["examples"]] == [e.score for e in top]
    assert {Path(e["name"]).name for e in shown["examples"][:2]} == set(truth["red"])
    crop = np.asarray(_picture(shown["examples"][0]["crop"]).convert("RGB")).astype(int)
    assert crop[crop.shape[0] // 2, crop.shape[1] // 2, 0] > 200  # the planted red
    assert max(_picture(shown["examples"][0]["whole"]).size) <= 320
    # The unit's map over the model's view: brightest (yellow in viridis) where the red patch is.
    overlay = np.asarray(_picture(shown["examples"][0]["map"]).convert("RGB")).astype(int)
    assert overlay.shape[:2] == (64, 64)
    patch = overlay[..., 0] > 200  # red picture under a high (yellow) map
    assert patch.sum() >= 16
    assert overlay[..., 1][patch].mean() > overlay[..., 1][~patch].mean() + 40  # viridis' green rises with the map
    ex.selected = ()
    assert ex.unit_examples == {}
    ex.use_examples(None)
    ex.selected = ("edges", 1)
    assert ex.unit_examples == {}
    ex.close()
