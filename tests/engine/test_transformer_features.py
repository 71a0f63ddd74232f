"""Every feature on transformer layouts: maximization, live dreaming, unit maps, top crops, receptive fields."""

import numpy as np
import pytest
import timm
import torch

import cnnwidget
from cnnwidget.engine.live_dream import FrameDreamer
from cnnwidget.engine.model_input import InputNote
from cnnwidget.engine.receptive_field import receptive_field
from cnnwidget.engine.top_crops import TopCrops
from tests.model_state import assert_same_state, model_state


@pytest.fixture(scope="module")
def deit():
    torch.manual_seed(0)
    return timm.create_model("deit_tiny_patch16_224", pretrained=False)


def test_maximizing_a_gelu_token_unit_raises_it_without_relu_redirection(deit):
    before = model_state(deit)
    with pytest.warns(InputNote, match="takes only 224x224 inputs.*resized to 224x224.*not interpolated"):
        engine = cnnwidget.Maximizer(deit, "blocks.2:7", steps=6, size=64, seed=0, redirect_steps=0)
    values = [step.value for step in engine]
    assert values[-1] > values[0]
    assert engine.images()[0].size == (64, 64)
    assert_same_state(before, model_state(deit))


def test_live_dream_on_a_token_layer_changes_the_frame(deit):
    frame = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    out = FrameDreamer(deit, "blocks.4", steps=1, lr=0.05)(frame)
    assert out.shape == frame.shape and np.abs(out.astype(int) - frame).max() > 0


def test_unit_maps_and_top_crops_come_from_the_patch_grid(deit):
    photo = np.zeros((224, 224, 3), np.uint8)
    photo[16:48, 160:192] = 255  # one bright patch area, top right
    acts = cnnwidget.activations(deit, photo, "patch_embed")  # (192, 14, 14): a 16 px patch each
    unit = int(np.abs(acts[:, 1:3, 10:12] - acts[:, 8:, :4].mean(axis=(1, 2), keepdims=True)).sum(axis=(1, 2)).argmax())
    unit_map = np.abs(acts[unit] - np.median(acts[unit]))
    y, x = np.unravel_index(int(unit_map.argmax()), unit_map.shape)
    assert 1 <= y <= 2 and 10 <= x <= 11
    crops = TopCrops(k=1, side=32)
    crops.offer(photo, unit_map)
    assert crops.crops()[0].pixels.mean() > 100  # the crop sits on the bright area


def test_receptive_fields_of_token_layers_are_measured_on_the_patch_grid(deit):
    # The patch embedding's unit sees exactly its 16 px patch; a block adds attention to other
    # patches (faint with random weights, whose residual path dominates), never less than the patch.
    assert receptive_field(deit, "patch_embed.proj", 224) == 16
    assert receptive_field(deit, "blocks.1", 224) >= 16


def test_maco_maximization_of_a_token_unit_raises_it_and_its_mask_covers_the_picture(deit):
    before = model_state(deit)
    with pytest.warns(InputNote, match="resized to 224x224"):
        engine = cnnwidget.Maximizer(deit, "blocks.2:7", param="maco", steps=6, size=64, seed=0)
    values = [step.value for step in engine]
    assert values[-1] > values[0]
    masks = engine.masks()
    assert masks.shape == (1, 64, 64) and float(masks.max()) == pytest.approx(1.0) and float(masks.min()) >= 0
    assert_same_state(before, model_state(deit))


def test_accentuating_a_token_unit_raises_it_within_the_budget(deit):
    from cnnwidget.engine.accentuate import accentuate
    from cnnwidget.engine.preprocessing import to_tensor

    photo = np.random.default_rng(1).integers(0, 255, (96, 96, 3), dtype=np.uint8)
    before = model_state(deit)
    with pytest.warns(InputNote, match="resized to 224x224"):
        out = accentuate(deit, photo, "blocks.2:7", steps=8, size=64, budget=0.2, seed=0)
    assert out.after > out.before
    assert float((to_tensor(out.image) - to_tensor(out.photo)).abs().max()) <= 0.2 + 1 / 255
    assert_same_state(before, model_state(deit))


def test_deepdream_octaves_on_a_token_layer_are_resized_to_the_fixed_size_and_change_the_photo(deit):
    from cnnwidget.engine.deepdream import deepdream

    photo = np.random.default_rng(2).integers(0, 255, (80, 96, 3), dtype=np.uint8)
    before = model_state(deit)
    with pytest.warns(InputNote, match=r"takes only 224x224 inputs.*resized to 224x224.*not interpolated"):
        dream = deepdream(deit, photo, layers="blocks.4", octaves=2, steps=2, seed=0, progress=False)
    assert dream.size == (96, 80) and np.abs(np.asarray(dream, dtype=int) - photo).max() > 0
    assert_same_state(before, model_state(deit))


def test_deepdream_on_a_swin_channels_last_stage_changes_the_photo():
    import torchvision

    from cnnwidget.engine.deepdream import deepdream

    torch.manual_seed(0)
    swin = torchvision.models.swin_t().eval()
    photo = np.random.default_rng(3).integers(0, 255, (96, 96, 3), dtype=np.uint8)
    before = model_state(swin)
    dream = deepdream(swin, photo, layers="features.3", octaves=2, steps=2, seed=0, progress=False)
    assert dream.size == (96, 96) and np.abs(np.asarray(dream, dtype=int) - photo).max() > 0
    assert_same_state(before, model_state(swin))
