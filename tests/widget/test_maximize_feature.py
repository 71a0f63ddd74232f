"""Click-to-maximize from the Python side: streaming, newest wins, cache, cancel, close."""

import io
import threading
import time

import numpy as np
import pytest
import torchvision
from PIL import Image

from cnnwidget import CNNExplorer
from cnnwidget.widget import protocol
from cnnwidget.widget.jobs import JobRunner
from tests.model_state import assert_same_state, model_state

FAST = {"steps": 6, "size": 48}


@pytest.fixture(scope="module")
def model():
    return torchvision.models.resnet18()


@pytest.fixture
def explorer(model, photo):
    ex = CNNExplorer(model, image=photo, layer="layer2")
    ex.maximize_options = {**ex.maximize_options, **FAST}
    sent = []
    ex.send = lambda content, buffers=None: sent.append((content, buffers))
    ex.sent = sent
    yield ex
    ex.close()


def workers():
    return [t for t in threading.enumerate() if t.name.startswith(JobRunner.THREAD_PREFIX) and t.is_alive()]


def test_maximize_streams_pictures_and_ends_done(explorer, model):
    before = model_state(model)
    job = explorer.maximize(("layer2", 3))
    job.thread.join(60)
    state = explorer.maximize_state
    assert state["status"] == "done" and state["step"] == 6 and state["unit"] == ["layer2", 3]
    progress = [c for c, _ in explorer.sent if c["type"] == protocol.MAXIMIZE_PROGRESS]
    assert len(progress) >= 3 and [c["step"] for c in progress] == sorted(c["step"] for c in progress)
    assert progress[0]["step"] == 0 and progress[0]["value"] is None  # the starting picture, before step 1
    first_png = explorer.sent[0][1][0]
    assert Image.open(io.BytesIO(first_png)).size == (48, 48)
    final = Image.open(io.BytesIO(explorer.maximized_image))
    assert np.array_equal(np.asarray(final), np.asarray(explorer.maximized))
    assert explorer.selected == ("layer2", 3)
    assert_same_state(before, model_state(model))


def test_second_request_for_the_same_unit_comes_from_the_cache(explorer):
    explorer.maximize(("layer2", 4)).thread.join(60)
    picture = explorer.maximized_image
    explorer.selected = ("layer2", 5)
    explorer._runner.current.thread.join(60)
    assert explorer.maximize(("layer2", 4)) is None  # no job: answered from the cache (speed: benchmarks/)
    assert explorer.maximized_image == picture and explorer.maximize_state["status"] == "done"


def test_a_cached_result_is_not_overwritten_by_the_job_it_cancels(explorer):
    explorer.maximize(("layer2", 4)).thread.join(60)
    picture = explorer.maximized_image
    running = explorer.maximize(("layer2", 6), steps=4000)
    while not [c for c, _ in explorer.sent if c.get("unit") == ["layer2", 6]]:
        time.sleep(0.01)
    assert explorer.maximize(("layer2", 4)) is None  # from the cache, while layer2:6 is stopping
    running.thread.join(5)
    assert not running.running
    assert explorer.maximize_state["unit"] == ["layer2", 4] and explorer.maximize_state["status"] == "done"
    assert explorer.maximized_image == picture


def test_click_storm_only_the_last_unit_finishes(explorer):
    explorer.maximize_options = {**explorer.maximize_options, "steps": 40}
    for channel in range(10):
        explorer.selected = ("layer2", channel)  # what a click in the browser does
        time.sleep(0.02)
    explorer._runner.current.thread.join(120)
    assert explorer.maximize_state["status"] == "done"
    assert explorer.maximize_state["unit"] == ["layer2", 9]
    finished = {tuple(c["unit"]) for c, _ in explorer.sent if c.get("status") == "done"}
    assert finished <= {("layer2", 9)}
    assert explorer.error == ""
    assert workers() == []


def test_cancel_stops_within_a_second_and_close_leaves_no_worker(explorer):
    job = explorer.maximize(("layer2", 7), steps=4000)
    while explorer.maximize_state.get("step", 0) == 0 and not [c for c, _ in explorer.sent]:
        time.sleep(0.01)
    start = time.monotonic()
    explorer.cancel()
    job.thread.join(1.0)
    assert not job.running and time.monotonic() - start < 1.0
    assert explorer.maximize_state["status"] == "cancelled"
    job = explorer.maximize(("layer2", 8), steps=4000)
    time.sleep(0.2)
    start = time.monotonic()
    explorer.close()
    assert not job.running and time.monotonic() - start < 1.0
    assert workers() == []


def test_neuron_chosen_on_the_enlarged_map_moves_to_the_maximization_size(explorer):
    explorer.neuron = (21, 7)  # in layer2's 28x28 map of the 224 px input picture
    explorer.maximize(("layer2", 3), mode="neuron").thread.join(60)  # 48 px: a 6x6 map
    state = explorer.maximize_state
    assert state["status"] == "done" and state["request"]["neuron"] == [4, 1]
    explorer.maximize(("layer4", 3)).thread.join(60)  # channel mode ignores the neuron
    assert explorer.maximize_state["status"] == "done" and explorer.error == ""
    with pytest.raises(ValueError, match=r"neuron \[21, 7\] is outside the 7x7 map of 'layer4': click the enlarged map"):
        explorer.maximize(("layer4", 3), mode="neuron")


def test_maco_with_mask_ends_with_a_picture_whose_alpha_is_the_mask(explorer, model):
    before = model_state(model)
    explorer.maximize_options = {**explorer.maximize_options, "param": "maco", "mask": True}
    explorer.maximize(("layer2", 3)).thread.join(60)
    assert explorer.maximize_state["status"] == "done"
    assert explorer.maximize_state["request"]["param"] == "maco" and explorer.maximize_state["request"]["mask"]
    final = Image.open(io.BytesIO(explorer.maximized_image))
    assert final.mode == "RGBA" and final.size == (48, 48)
    alpha = np.asarray(final)[..., 3]
    assert alpha.max() == 255 and alpha.min() < 128  # opaque where the unit looked, fading elsewhere
    rgb = np.asarray(final)[..., :3].astype(float)
    assert rgb.std() > 20  # MACO's photo-contrast texture, not faint noise
    assert_same_state(before, model_state(model))


def test_from_the_photo_accentuates_the_unit_within_the_budget(explorer, model):
    """ "from input image" runs feature accentuation: the photo, changed a little, the unit firing more."""
    from cnnwidget.engine.accentuate import DEFAULT_BUDGET
    from cnnwidget.engine.activations import layer_outputs
    from cnnwidget.engine.preprocessing import Preprocess, to_tensor

    before_state = model_state(model)
    explorer.maximize_options = {**explorer.maximize_options, "from_image": True, "steps": 12}
    explorer.maximize(("layer2", 3)).thread.join(60)
    state = explorer.maximize_state
    assert state["status"] == "done" and state["step"] == 12 and len(state["curve"]) == 12
    photo = to_tensor(Preprocess(size=48).crop(explorer._pil))
    final = to_tensor(explorer.maximized)
    assert final.shape == photo.shape == (3, 48, 48)
    assert float((final - photo).abs().max()) <= DEFAULT_BUDGET + 1 / 255
    assert float((final - photo).abs().mean()) > 0.005  # it did change
    response = lambda x: float(layer_outputs(model, Preprocess().normalize(x[None]), ["layer2"])["layer2"][0, 3].mean())  # noqa: E731
    assert response(final) > response(photo)
    assert state["value"] == pytest.approx(response(final), rel=0.05, abs=1e-3)
    assert_same_state(before_state, model_state(model))


def test_bad_options_and_units_give_named_errors(explorer):
    with pytest.raises(ValueError, match="steps must be a whole number from 1 to 4096"):
        explorer.maximize(("layer2", 1), steps=0)
    with pytest.raises(Exception, match="choose 0..127"):
        explorer.maximize(("layer2", 128))
    explorer.maximize_options = {**explorer.maximize_options, "param": "wavelet"}
    explorer.selected = ("layer2", 2)
    assert "param must be 'soft' or 'fft' or 'maco' or 'pixel'" in explorer.error


def test_browser_maximize_and_cancel_messages(explorer):
    explorer._on_browser_message(explorer, {"type": "maximize", "layer": "layer2", "channel": 11}, [])
    explorer._runner.current.thread.join(60)
    assert explorer.maximize_state["unit"] == ["layer2", 11]
    explorer._on_browser_message(explorer, {"type": "maximize", "layer": "layer2", "channel": "x"}, [])
    assert "int field 'channel'" in explorer.error


def test_attribution_overlay_for_the_selected_unit(explorer):
    explorer.auto_maximize = False
    explorer.selected = ("layer2", 1)
    assert explorer.attribution == b""  # off by default
    explorer.show_attribution = True
    meta = explorer.attribution_meta
    assert meta["unit"] == ["layer2", 1] and (meta["height"], meta["width"]) == (224, 224)
    cam = np.frombuffer(explorer.attribution, dtype=np.uint8)
    assert cam.size == 224 * 224 and cam.max() in (0, 255)


def test_dream_from_the_input_image_streams_octaves_and_changes_the_picture(explorer):
    explorer.dream_options = {"layers": ["layer2"], "octaves": 2, "steps": 3, "strength": 0.05}
    job = explorer.dream()
    job.thread.join(120)
    assert explorer.dream_state["status"] == "done" and explorer.dream_state["octave"] == 2
    octaves = [c for c, _ in explorer.sent if c["type"] == protocol.DREAM_PROGRESS]
    assert [c["octave"] for c in octaves] == [1, 2]
    dreamed = np.asarray(explorer.last_image).astype(int)
    assert dreamed.shape == np.asarray(explorer.input_image).shape
    assert np.abs(dreamed - np.asarray(explorer.input_image)).mean() > 1.0
    png = np.asarray(Image.open(io.BytesIO(explorer.dream_image)))
    assert np.array_equal(png, np.asarray(explorer.last_image))


def test_bad_dream_options_are_named(explorer):
    explorer.dream_options = {**explorer.dream_options, "octaves": 0}
    explorer._on_browser_message(explorer, {"type": "dream"}, [])
    assert "dream octaves must be a whole number from 1 to 8" in explorer.error
    with pytest.raises(KeyError, match="did you mean"):
        explorer.dream(layers=["layer22"], octaves=1)


def test_attribution_follows_a_new_input_picture(explorer, photo):
    explorer.auto_maximize = False
    explorer.show_attribution = True
    explorer.selected = ("layer2", 1)
    first = explorer.attribution
    explorer.set_image(np.ascontiguousarray(photo[::-1]))
    assert explorer.attribution != first


def test_fifty_clicks_in_five_seconds_no_deadlock_no_leftover(explorer, model):
    before = model_state(model)
    explorer.maximize_options = {**explorer.maximize_options, "steps": 30}
    start = time.monotonic()
    for i in range(50):
        explorer.selected = (("layer1", "layer2", "layer3")[i % 3], i)
        time.sleep(0.1)
    assert time.monotonic() - start < 7
    assert explorer._runner.current.wait(120)
    assert explorer.maximize_state["unit"] == ["layer2", 49] and explorer.maximize_state["status"] == "done"
    assert explorer.error == ""
    deadline = time.monotonic() + 1.0
    while workers() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert workers() == []
    assert_same_state(before, model_state(model))
