"""Live mode from the Python side: frames in, grids or dreams out, freeze, top crops, stats."""

import io

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from cnnwidget import CNNExplorer
from cnnwidget.widget import protocol
from cnnwidget.engine import activations
from cnnwidget.engine.int8_front import map_agreement
from cnnwidget.engine.precision import resolve_precision
from cnnwidget.widget.live.live_precision import maps_precision
from cnnwidget.widget.live.worker import default_threads
from tests.engine.test_int8_front import Branchy  # control flow on a value: FX cannot trace it
from tests.model_state import assert_same_state, model_state


@pytest.fixture(scope="module")
def model():
    return torchvision.models.resnet18()


@pytest.fixture
def explorer(model, photo):
    ex = CNNExplorer(model, image=photo, layer="layer3", auto_maximize=False)
    ex.sent = []
    ex.send = lambda content, buffers=None: ex.sent.append((content, buffers))
    yield ex
    ex.close()


def deliver(explorer, content, buffers):
    """A browser message, as the comm hands it over; then wait for the live worker to handle it."""
    explorer._on_browser_message(explorer, content, buffers)
    assert explorer._live_worker.wait_idle(timeout=60)


def frame_message(rgb: np.ndarray, frame_id: int, **extra):
    h, w = rgb.shape[:2]
    rgba = np.concatenate([rgb, np.full((h, w, 1), 255, np.uint8)], axis=2)
    return {"type": "frame", "id": frame_id, "width": w, "height": h, "t": 123.0, **extra}, [rgba.tobytes()]


def moving_frame(i: int) -> np.ndarray:
    y, x = np.mgrid[0:224, 0:224]
    rgb = np.stack([(x + 9 * i) % 224, (y * 2) % 224, np.full_like(x, 60 * i % 255)], axis=-1)
    return rgb.astype(np.uint8)


def test_a_frame_comes_back_as_the_grid_of_its_activations(explorer, model):
    explorer.live_options = {"precision": "float32"}
    rgb = moving_frame(0)
    deliver(explorer, *frame_message(rgb, 7, latency_ms=40.0))
    content, buffers = explorer.sent[-1]
    assert content["type"] == protocol.LIVE_RESULT and content["id"] == 7 and content["t"] == 123.0
    assert (content["channels"], content["height"], content["width"]) == (256, 14, 14)
    _, approx = protocol.decode_grid(buffers[0], 256, 14, 14)
    exact = activations(model, rgb, "layer3")
    assert np.abs(approx - exact).max() <= (exact.max() - exact.min()) / 255 + 1e-4
    assert explorer.live_stats["frames"] == 1 and explorer.live_stats["latency_ms_p50"] == 40.0
    # how long it waited in the kernel before its turn: a number, and no more than the whole call took
    assert 0 <= content["queue_ms"] < 5_000 and explorer.live_stats["queue_ms_p50"] == content["queue_ms"]


def test_a_jpeg_frame_comes_back_as_the_grid_of_its_pixels(explorer, model):
    """Frames sent as JPEG (the browser's default, live_options frame_format) are decoded to
    the pixels the JPEG holds; their maps stay close to those of the raw frame."""
    explorer.live_options = {"precision": "float32"}
    rgb = moving_frame(3)
    jpeg = protocol.encode_jpeg(Image.fromarray(rgb), quality=90)
    assert len(jpeg) < rgb.nbytes / 5
    deliver(explorer, {"type": "frame", "id": 4, "width": 224, "height": 224, "t": 1.0, "format": "jpeg"}, [jpeg])
    content, buffers = explorer.sent[-1]
    assert content["id"] == 4 and explorer.error == ""
    _, approx = protocol.decode_grid(buffers[0], 256, 14, 14)
    decoded = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    exact = activations(model, decoded, "layer3")
    assert np.abs(approx - exact).max() <= (exact.max() - exact.min()) / 255 + 1e-4
    raw = activations(model, rgb, "layer3")
    assert np.corrcoef(raw.ravel(), exact.ravel())[0, 1] > 0.97


def test_live_maps_in_bfloat16_stay_close_to_float32(explorer, model):
    explorer.live_options = {"precision": "bfloat16"}  # what "auto" picks where int8 is not offered and bfloat16 is native
    rgb = moving_frame(4)
    deliver(explorer, *frame_message(rgb, 1))
    assert explorer.sent[-1][0]["precision"] == "bfloat16"
    _, fast = protocol.decode_grid(explorer.sent[-1][1][0], 256, 14, 14)
    exact = activations(model, rgb, "layer3")
    span = exact.max() - exact.min()
    assert np.abs(fast - exact).max() <= 0.03 * span
    assert np.corrcoef(fast.ravel(), exact.ravel())[0, 1] > 0.999


def test_live_frames_go_in_channels_last(explorer):
    x = explorer._live_tensor(moving_frame(1))
    assert x.shape == (1, 3, 224, 224) and x.stride() == (3 * 224 * 224, 1, 3 * 224, 3)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"dream_steps": 0}, "dream_steps must be a whole number from 1 to 50"),
        ({"top_k": 2.5}, "top_k must be a whole number"),
        ({"dream_lr": -0.1}, r"dream_lr must be a number in \(0, 1\]"),
        ({"carry": 1.0}, r"carry must be a number in \[0, 1\)"),
        ({"precision": "fp8"}, "precision must be one of"),
        ({"steps": 3}, "unknown live option"),
        ({"threads": 0}, "threads must be a whole number from 1 to 256"),
        ({"capture": "screen"}, r"capture must be one of \('auto', 'video'\)"),
        ({"frame_format": "png"}, r"frame_format must be one of \('rgba', 'jpeg'\)"),
    ],
)
def test_bad_live_options_are_refused_with_the_fix(explorer, options, match):
    before = dict(explorer.live_options)
    with pytest.raises(ValueError, match=match):
        explorer.live_options = options
    assert explorer.live_options == before


def test_partial_live_options_keep_the_other_defaults(explorer):
    explorer.live_options = {"top_k": 4}
    assert explorer.live_options["top_k"] == 4 and explorer.live_options["dream_steps"] == 2


def test_live_options_given_to_the_constructor_apply(model, photo):
    ex = CNNExplorer(model, image=photo, layer="layer3", live_options={"threads": 2, "top_k": 3})
    try:
        assert ex.live_options["top_k"] == 3 and ex.live_options["dream_steps"] == 2
        assert ex._live_worker.submit(torch.get_num_threads).result(timeout=10) == 2
    finally:
        ex.close()


def test_the_live_thread_computes_with_the_chosen_thread_count(explorer):
    explorer.live_options = {"threads": 2}
    assert explorer._live_worker.submit(torch.get_num_threads).result(timeout=10) == 2
    explorer.live_options = {"threads": "auto"}
    assert explorer._live_worker.submit(torch.get_num_threads).result(timeout=10) == default_threads()


def test_different_frames_give_different_grids(explorer):
    for i in range(3):
        deliver(explorer, *frame_message(moving_frame(i), i))
    grids = [b[0] for c, b in explorer.sent if c["type"] == protocol.LIVE_RESULT]
    assert len(set(grids)) == 3
    assert explorer.live_stats["frames"] == 3 and explorer.live_stats["fps"] > 0


@pytest.mark.parametrize(
    "content, buffers, match",
    [
        ({"type": "frame", "id": 1, "width": 224, "height": 224}, [b"\0" * 10], "needs 200704"),
        ({"type": "frame", "id": 1, "width": 5000, "height": 2}, [b""], "outside 1..1024"),
        ({"type": "frame", "id": 1, "width": 2, "height": 2}, [], "needs 16"),
        ({"type": "frame", "id": 1, "width": 8, "height": 8, "format": "png"}, [b"\x89PNG"], "frame format 'png' is not one of"),
        ({"type": "frame", "id": 1, "width": 8, "height": 8, "format": "jpeg"}, [b"\0" * 10], "not a JPEG of a 8x8 picture"),
        ({"type": "frame", "id": 1, "width": 8, "height": 8, "format": "jpeg"}, [b"\xff\xd8\xff junk"], "does not decode"),
        ({"type": "frame", "id": 1, "width": 16, "height": 16, "format": "jpeg"},
         [protocol.encode_jpeg(Image.new("RGB", (8, 8)))], "JPEG is 8x8, not the declared 16x16"),
    ],
)
def test_malformed_frames_are_refused_and_the_stream_goes_on(explorer, content, buffers, match):
    deliver(explorer, content, buffers)
    assert match in explorer.error
    deliver(explorer, *frame_message(moving_frame(1), 2))
    assert explorer.sent[-1][0]["id"] == 2


def test_dream_mode_returns_frames_that_differ_from_the_camera(explorer):
    explorer.live_mode = "dream"
    explorer.live_options = {**explorer.live_options, "dream_steps": 2}
    rgb = moving_frame(2)
    deliver(explorer, *frame_message(rgb, 3))
    content, buffers = explorer.sent[-1]
    assert content["mode"] == "dream"
    dreamed = np.asarray(Image.open(io.BytesIO(buffers[0])))
    assert dreamed.shape == rgb.shape and np.abs(dreamed.astype(int) - rgb).mean() > 2


def test_freeze_makes_the_last_frame_the_input_and_top_crops_follow_the_unit(explorer):
    explorer.selected = ("layer3", 4)
    for i in range(4):
        deliver(explorer, *frame_message(moving_frame(i), i))
    meta = explorer.top_crops_meta
    assert meta["unit"] == ["layer3", 4] and 1 <= len(meta["values"]) <= 9
    assert meta["values"] == sorted(meta["values"], reverse=True)
    strip = Image.open(io.BytesIO(explorer.top_crops))
    assert strip.size == (64 * len(meta["values"]), 64)
    deliver(explorer, {"type": "freeze"}, [])
    assert explorer.image_name == "frozen frame"
    frozen = np.asarray(explorer.input_image).astype(int)
    assert np.abs(frozen - moving_frame(3)).mean() < 3


def test_freeze_with_an_id_takes_the_frame_the_browser_shows_not_a_newer_one_in_flight(explorer):
    for i in range(5):
        deliver(explorer, *frame_message(moving_frame(i), 10 + i))
    deliver(explorer, {"type": "freeze", "id": 11}, [])  # frames 12..14 were still in flight when the user froze
    frozen = np.asarray(explorer.input_image).astype(int)
    assert np.abs(frozen - moving_frame(1)).mean() < 3
    assert np.abs(frozen - moving_frame(4)).mean() > 10
    deliver(explorer, {"type": "freeze", "id": 99}, [])  # not kept: the last frame, as without an id
    assert np.abs(np.asarray(explorer.input_image).astype(int) - moving_frame(4)).mean() < 3


def test_frames_answer_in_order_when_several_are_in_flight(explorer):
    for i in range(4):  # the browser sends without waiting; each handler returns once its answer left
        explorer._on_browser_message(explorer, *frame_message(moving_frame(i), 20 + i))
    assert explorer._live_worker.wait_idle(timeout=60)
    assert [c["id"] for c, _ in explorer.sent if c["type"] == protocol.LIVE_RESULT] == [20, 21, 22, 23]


def test_feed_from_python_accepts_opencv_bgr_frames(explorer, model):
    explorer.live_options = {"precision": "float32"}
    rgb = moving_frame(5)
    out = explorer.feed(rgb[..., ::-1], bgr=True)
    np.testing.assert_allclose(out["activations"], activations(model, rgb, "layer3"), atol=1e-4)
    content, buffers = explorer.sent[-1]
    assert content["frame_included"] and len(buffers) == 2


def test_a_new_top_k_applies_to_the_strip(explorer):
    explorer.selected = ("layer3", 4)
    deliver(explorer, *frame_message(moving_frame(0), 0))
    explorer.live_options = {"top_k": 2}
    for i in range(1, 6):
        explorer._live_crops_sent = 0.0  # no rate limit in the test
        deliver(explorer, *frame_message(moving_frame(i), i))
    assert len(explorer.top_crops_meta["values"]) == 2


def test_live_maps_switch_to_the_int8_copy_once_built_and_match_float32(explorer, model):
    before = model_state(model)
    explorer.live_options = {"precision": "int8"}
    rgb = moving_frame(6)
    deliver(explorer, *frame_message(rgb, 1))
    first = explorer.sent[-1][0]["precision"]
    assert first in ("float32 (int8 building)", "bfloat16 (int8 building)"), first
    assert explorer._live_int8.wait(timeout=300)
    deliver(explorer, *frame_message(rgb, 2))
    content, buffers = explorer.sent[-1]
    assert content["precision"] == "int8"
    _, fast = protocol.decode_grid(buffers[0], 256, 14, 14)
    exact = activations(model, rgb, "layer3")
    agreement = map_agreement(torch.from_numpy(fast), torch.from_numpy(exact))
    assert agreement["pearson_median"] >= 0.95 and agreement["relative_error"] <= 0.15, agreement
    assert_same_state(before, model_state(model))


def test_a_model_without_an_int8_copy_stays_in_floating_point_and_says_why(photo):
    ex = CNNExplorer(Branchy(), image=photo, layer="conv", auto_maximize=False, live_options={"precision": "int8"})
    ex.sent = []
    ex.send = lambda content, buffers=None: ex.sent.append((content, buffers))
    try:
        deliver(ex, *frame_message(moving_frame(0), 1))
        shown = ex.sent[-1][0]["precision"]
        assert shown.startswith(("float32 (int8 unavailable: ", "bfloat16 (int8 unavailable: ")), shown
        assert ex.error == ""
    finally:
        ex.close()


@pytest.mark.parametrize("capability, device, expected", [
    ("AVX2", "cpu", "int8"), ("AVX512", "cpu", "int8"), ("DEFAULT", "cpu", None), ("AVX2", "meta", "float32"),
])
def test_auto_precision_of_live_maps_follows_the_cpu(capability, device, expected):
    chosen = maps_precision("auto", torch.device(device), capability)
    assert chosen == (expected or resolve_precision("auto", torch.device("cpu")))
    assert maps_precision("float32", torch.device("cpu"), "AVX512") == "float32"


def test_dreams_never_run_in_int8(explorer):
    explorer.live_mode = "dream"
    explorer.live_options = {"precision": "int8", "dream_steps": 1}
    deliver(explorer, *frame_message(moving_frame(2), 3))
    assert explorer.sent[-1][0]["mode"] == "dream" and explorer.error == ""
    assert explorer._live_dreamer.precision in ("float32", "bfloat16")


def test_an_int8_copy_that_fails_on_a_frame_gives_way_to_floating_point_for_good():
    torch.manual_seed(0)  # a classifier held to 224 px inputs by its Linear: a 160 px frame breaks the copy
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, stride=2), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(4 * 111 * 111, 5))
    ex = CNNExplorer(net, image=moving_frame(0), layer="1", auto_maximize=False, live_options={"precision": "int8"})
    ex.sent = []
    ex.send = lambda content, buffers=None: ex.sent.append((content, buffers))
    try:
        deliver(ex, *frame_message(moving_frame(1), 1))
        assert ex._live_int8.wait(timeout=300)
        deliver(ex, *frame_message(moving_frame(2), 2))
        assert ex.sent[-1][0]["precision"] == "int8"
        small = moving_frame(3)[:160, :160]
        # Frame 3's maps come from the copy's first part, which takes 160 px; the rest of the
        # network (the Linear), run after the answer, fails on it: from then on, floating point.
        deliver(ex, *frame_message(small, 3))
        for frame_id in (4, 5):
            deliver(ex, *frame_message(small, frame_id))
            content, buffers = ex.sent[-1]
            assert content["id"] == frame_id and "(int8 unavailable: it failed on a frame" in content["precision"]
            # floating point fits the frame to the 224 px the model accepts (engine/model_input.py)
            assert (content["channels"], content["height"], content["width"]) == (4, 111, 111)
        assert ex.error == ""
    finally:
        ex.close()
