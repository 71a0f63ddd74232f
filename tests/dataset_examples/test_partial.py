"""Partial top-k lists and statistics merge exactly, in any grouping."""

from __future__ import annotations

import numpy as np

from cnnwidget.dataset_examples.partial import HIST_EDGES, NO_ITEM, LayerPartial


def _random_batch(rng, n, channels, start):
    maxima = rng.normal(0, 1, (n, channels)).astype(np.float32)
    maxima[rng.random((n, channels)) < 0.2] = 0.0  # ties, as after a ReLU
    positions = rng.integers(0, 49, (n, channels))
    return maxima, positions, np.arange(start, start + n)


def test_shards_merge_to_the_partial_of_everything_in_any_grouping():
    rng = np.random.default_rng(0)
    batches = [_random_batch(rng, n, 6, s) for n, s in zip((5, 7, 3, 8, 1), (0, 5, 12, 15, 23))]
    everything = LayerPartial.of_batch(*(np.concatenate(parts) for parts in zip(*batches)), k=4, lowest=True)
    parts = [LayerPartial.of_batch(*b, k=4, lowest=True) for b in batches]
    in_order = parts[0]
    for p in parts[1:]:
        in_order = in_order.merged(p)
    shuffled = (parts[3].merged(parts[0])).merged(parts[4].merged(parts[2].merged(parts[1])))
    for merged in (in_order, shuffled):
        for ours, theirs in ((merged.top, everything.top), (merged.bottom, everything.bottom)):
            assert np.array_equal(ours.item, theirs.item)
            assert np.array_equal(ours.score, theirs.score)
            assert np.array_equal(ours.pos, theirs.pos)
        assert merged.count == 24
        assert np.array_equal(merged.hist, everything.hist) and np.array_equal(merged.fires, everything.fires)
        assert np.array_equal(merged.high, everything.high) and np.array_equal(merged.low, everything.low)
        assert np.allclose(merged.total, everything.total, rtol=1e-12)


def test_ties_go_to_the_lower_item_and_scores_are_the_unit_maxima():
    maxima = np.array([[1.0], [2.0], [2.0], [0.5]], np.float32)
    part = LayerPartial.of_batch(maxima, np.zeros((4, 1), int), np.array([10, 12, 11, 13]), k=3, lowest=True)
    assert part.top.item[0].tolist() == [11, 12, 10]
    assert part.bottom.item[0].tolist() == [13, 10, 11]
    few = LayerPartial.of_batch(maxima[:1], np.zeros((1, 1), int), np.array([3]), k=3)
    assert few.top.item[0].tolist() == [3, NO_ITEM, NO_ITEM]
    assert few.merged(part).top.item[0].tolist() == [11, 12, 3]  # 3 and 10 tie at 1.0: the lower item


def test_histogram_bins_are_fixed_and_a_round_trip_through_bytes_is_exact():
    maxima = np.array([[0.0], [0.05], [3.0], [-2.0], [1e9]], np.float32)
    part = LayerPartial.of_batch(maxima, np.zeros((5, 1), int), np.arange(5), k=2)
    bins = np.nonzero(part.hist[0])[0]
    for value in maxima[:, 0]:
        i = np.searchsorted(HIST_EDGES, value, side="right") - 1
        assert HIST_EDGES[i] <= value < HIST_EDGES[i + 1] and i in bins
    assert part.fires[0] == 3
    again = LayerPartial.from_bytes(part.to_bytes())
    assert np.array_equal(again.hist, part.hist) and np.array_equal(again.top.item, part.top.item)
    assert again.bottom is None and again.count == 5
