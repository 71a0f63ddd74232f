"""Planted pictures rank first for their unit, and their receptive-field boxes cover the planted patch."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from cnnwidget.dataset_examples import ExampleIndex, ExamplesError
from tests.model_state import assert_same_state, model_state
from tests.dataset_examples.fixtures import LAYERS, QUICK
from tests.dataset_examples.planted import KINDS, UNIT, PlantedNet


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("kind", KINDS)
def test_planted_pictures_rank_first_for_their_unit(planted_index, planted, layer, kind):
    _, truth = planted
    top = planted_index.top(layer, UNIT[kind])
    assert len(top) == 3
    assert {Path(e.path).name for e in top[:2]} == set(truth[kind]), [(e.path, e.score) for e in top]
    assert top[0].score >= top[1].score > top[2].score
    assert [e.rank for e in top] == [0, 1, 2]


@pytest.mark.parametrize("kind", KINDS)
def test_boxes_cover_the_planted_patch(planted_index, planted, kind):
    _, truth = planted
    for example in planted_index.top("blur", UNIT[kind])[:2]:
        left, top, right, bottom = truth[kind][Path(example.path).name]
        bl, bt, br, bb = example.box
        assert bl <= left and bt <= top and br >= right and bb >= bottom, (example.box, (left, top, right, bottom))
        w, h = example.size
        assert 0 <= bl < br <= w and 0 <= bt < bb <= h  # clipped to the picture


def test_crops_show_the_planted_colour(planted_index):
    red, green = planted_index.top("edges", UNIT["red"])[0], planted_index.top("edges", UNIT["green"])[0]
    for example, channel in ((red, 0), (green, 1)):
        crop = np.asarray(example.crop).astype(int)
        assert crop.shape[:2] == (example.box[3] - example.box[1], example.box[2] - example.box[0])
        centre = crop[crop.shape[0] // 2, crop.shape[1] // 2]
        assert centre[channel] > 200 and centre.sum() - centre[channel] < 120, centre
    whole = red.image()
    assert whole.size == red.size


def test_stats_count_every_picture_and_the_planted_ones_fire(planted_index):
    stats = planted_index.stats("edges", UNIT["red"])
    assert stats["images"] == 28
    assert stats["max"] == pytest.approx(1.0, abs=1e-6)  # pure red under a 1, -1/2, -1/2 filter
    assert sum(stats["histogram"]["counts"]) == 28
    assert len(stats["histogram"]["edges"]) == len(stats["histogram"]["counts"]) + 1
    # Red fires only where red is: the two planted red pictures and the green ones' borders at most.
    assert 2 / 28 <= stats["fires"] <= 6 / 28
    report = planted_index.report
    assert report.images == 28 and report.skipped == [] and report.complete
    assert "28 images read, 0 skipped" in str(report)


def test_the_table_opens_in_pandas_in_one_line(planted_index):
    import pandas as pd

    frame = pd.read_sql("SELECT * FROM examples", sqlite3.connect(planted_index.database))
    assert len(frame) == sum(info["channels"] for info in planted_index.layers.values()) * 3
    red = frame[(frame.layer == "edges") & (frame.channel == 0)].sort_values("rank")
    assert red.score.tolist() == [e.score for e in planted_index.top("edges", 0)]
    assert (planted_index.root / red.crop.iloc[0]).is_file()


def test_reopening_gives_the_same_examples(planted_index):
    again = ExampleIndex.open(planted_index.root)
    assert again.top("blur", 2) == planted_index.top("blur", 2)
    with pytest.raises(ExamplesError, match="has channels 0..3"):
        again.top("blur", 4)
    with pytest.raises(ExamplesError, match="not in this index"):
        again.top("conv9", 0)


def test_lowest_keeps_what_silences_each_unit_and_a_module_stays_as_found(planted, tmp_path):
    from cnnwidget.dataset_examples import dataset_examples

    root, truth = planted
    model = PlantedNet()
    model.train()
    before = model_state(model)
    index = dataset_examples(model, root, ["edges"], out=tmp_path / "low", lowest=True, **QUICK)
    assert_same_state(before, model_state(model))
    bottom = index.bottom("edges", UNIT["vertical"])
    assert len(bottom) == 3 and bottom[0].score <= bottom[1].score <= bottom[2].score
    planted_files = {name for kind in truth.values() for name in kind}
    assert not {Path(e.path).name for e in bottom} & set(truth["vertical"])
    assert all(e.crop is not None for e in bottom) and planted_files
