"""Units, tasks and seeds: a unit's seed depends on (seed, layer, channel) only."""

from __future__ import annotations

import pytest

from cnnwidget.atlas.plan import Unit, plan_tasks, select_channels, unit_seed


def test_unit_seed_is_stable_across_processes_and_versions():
    # Pinned: a changed value would silently change every atlas picture.
    assert unit_seed(0, "layer3.1", 5) == 3389228996808258146


def test_unit_seed_differs_by_seed_layer_and_channel():
    seeds = {unit_seed(s, layer, c) for s in (0, 1) for layer in ("a", "b") for c in range(50)}
    assert len(seeds) == 200
    assert all(0 <= s < 2**63 for s in seeds)


def test_tasks_never_mix_layers_and_respect_batch():
    units = [Unit("a", c) for c in range(5)] + [Unit("b", c) for c in range(3)]
    tasks = plan_tasks(units, batch=2, seed=7)
    assert [(t.layer, t.channels) for t in tasks] == [
        ("a", (0, 1)), ("a", (2, 3)), ("a", (4,)), ("b", (0, 1)), ("b", (2,))
    ]
    assert tasks[0].units == [Unit("a", 0), Unit("a", 1)]


def test_a_units_seed_does_not_depend_on_the_split():
    units = [Unit("a", c) for c in range(6)]
    by_split = [
        {u: s for t in plan_tasks(units, batch, seed=3) for u, s in zip(t.units, t.seeds)}
        for batch in (1, 4, 6)
    ]
    assert by_split[0] == by_split[1] == by_split[2]
    assert by_split[0][Unit("a", 2)] == unit_seed(3, "a", 2)


def test_batch_must_be_positive():
    with pytest.raises(ValueError, match="batch must be at least 1"):
        plan_tasks([Unit("a", 0)], batch=0, seed=0)


@pytest.mark.parametrize(
    "spec, expected",
    [(None, [0, 1, 2, 3, 4, 5, 6, 7]), ("2:5", [2, 3, 4]), ("0:8:3", [0, 3, 6]), ("6:", [6, 7]),
     ("1,3", [1, 3]), ([7, 0], [7, 0])],
)
def test_select_channels(spec, expected):
    assert select_channels(spec, 8) == expected


@pytest.mark.parametrize("spec, message", [("9", "out of range"), ("a:b", "cannot read units"), ([-1], "out of range")])
def test_select_channels_errors_name_the_fix(spec, message):
    with pytest.raises(ValueError, match=message):
        select_channels(spec, 8)
