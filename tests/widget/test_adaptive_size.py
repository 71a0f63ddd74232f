"""The adaptive side of live frames: bounds, steps, what the CPU offers, and the kernel's answers."""

import numpy as np
import pytest
import torchvision

from cnnwidget import CNNExplorer
from cnnwidget.widget import protocol
from cnnwidget.widget.live.adaptive_size import MIN_SIDE, SAMPLES, STEP, AdaptiveSide, clamp_side, start_side


def feed_times(side: AdaptiveSide, ms_at_full: float, frames: int) -> list[int]:
    """Frames whose kernel time grows with the pixels (ms_at_full at the full side); the sides used."""
    used = []
    for _ in range(frames):
        s = side.side
        used.append(s)
        side.record(s, ms_at_full * (s / side.full) ** 2)
    return used


def test_a_slow_kernel_shrinks_the_side_but_never_below_the_floor():
    side = AdaptiveSide(224, budget_ms=25, start=224)
    used = feed_times(side, ms_at_full=1000, frames=10 * SAMPLES)  # hopeless: 1 s a frame at 224
    assert used[0] == 224 and min(used) == MIN_SIDE and used[-1] == MIN_SIDE
    assert all(s % STEP == 0 for s in used)


def test_a_fast_kernel_grows_back_to_the_model_size_and_never_above():
    side = AdaptiveSide(224, budget_ms=25, start=MIN_SIDE)
    used = feed_times(side, ms_at_full=5, frames=10 * SAMPLES)
    assert used[-1] == 224 and max(used) == 224


def test_the_side_settles_where_the_time_meets_the_budget():
    side = AdaptiveSide(224, budget_ms=25, start=224)
    used = feed_times(side, ms_at_full=50, frames=12 * SAMPLES)  # 25 ms at 224 / sqrt(2) = 158 px
    settled = used[-3 * SAMPLES:]
    assert len(set(settled)) == 1, settled
    ms = 50 * (settled[0] / 224) ** 2
    assert abs(ms - 25) <= 0.2 * 25 + 1e-9 and 144 <= settled[0] <= 176


def test_frames_of_an_older_side_do_not_count():
    side = AdaptiveSide(224, budget_ms=25, start=160)
    for _ in range(3 * SAMPLES):
        assert side.record(224, 500.0) == 160  # answers to frames sent before the change


def test_bounds_and_the_start_from_the_cpu_capability():
    assert clamp_side(1000, 224) == 224 and clamp_side(10, 224) == MIN_SIDE and clamp_side(170, 224) == 160
    assert clamp_side(10, 64) == 64  # a model smaller than the floor keeps its own size
    assert start_side(224, "AVX512") == 224
    assert start_side(224, "AVX2") == 176
    assert start_side(224, "DEFAULT") == 144
    assert MIN_SIDE <= start_side(224) <= 224


@pytest.fixture
def explorer():
    ex = CNNExplorer(torchvision.models.resnet18(), layer="layer3", auto_maximize=False)
    ex.sent = []
    ex.send = lambda content, buffers=None: ex.sent.append((content, buffers))
    yield ex
    ex.close()


def frame(ex, side: int, frame_id: int):
    rgba = np.random.default_rng(frame_id).integers(0, 256, (side, side, 4), dtype=np.uint8)
    ex._on_browser_message(ex, {"type": "frame", "id": frame_id, "width": side, "height": side, "t": 0.0}, [rgba.tobytes()])
    assert ex._live_worker.wait_idle(timeout=60)
    return ex.sent[-1][0]


def test_a_smaller_frame_gives_a_smaller_map_and_a_fixed_size_is_what_the_kernel_asks_for(explorer):
    answer = frame(explorer, 160, 1)
    assert (answer["channels"], answer["height"], answer["width"]) == (256, 10, 10)  # not resized back to 224
    assert MIN_SIDE <= answer["size"] <= 224
    explorer.live_options = {**explorer.live_options, "size": 128}
    assert frame(explorer, 160, 2)["size"] == 128
    with pytest.raises(Exception, match="size"):
        explorer.live_options = {**explorer.live_options, "size": 4}
    assert explorer.live_options["size"] == 128
    assert protocol.LIVE_RESULT == answer["type"]


def test_dream_mode_adapts_its_own_side_and_leaves_the_maps_side_alone(explorer):
    explorer.live_mode = "dream"
    explorer.live_options = {**explorer.live_options, "dream_steps": 1}
    maps_side = explorer._live_side.side
    explorer._live_dream_side = AdaptiveSide(224, budget_ms=1e-3, start=224)  # every dream is too slow for it
    # each answer asks for the side decided by the frames before it (a frame's whole cost is known
    # only after its answer went out), so the answer after the SAMPLES-th frame asks for less
    asked = [frame(explorer, 224, i)["size"] for i in range(SAMPLES + 1)]
    assert asked[:-1] == [224] * SAMPLES and asked[-1] == MIN_SIDE
    assert frame(explorer, MIN_SIDE, SAMPLES + 1)["mode"] == "dream" and explorer.sent[-1][1][0][:2] == b"\xff\xd8"
    assert explorer._live_side.side == maps_side
