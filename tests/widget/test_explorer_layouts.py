"""The explorer on models whose layers are not (N, C, H, W): transformer tokens and channels-last stages."""

import numpy as np
import timm
import torch
import torchvision

import cnnwidget
from cnnwidget import CNNExplorer
from cnnwidget.engine.activations import activations_for_tensor
from cnnwidget.widget import protocol
from tests.model_state import assert_same_state, model_state


def shown_maps(ex: CNNExplorer) -> np.ndarray:
    meta = ex.grid_meta
    return protocol.decode_grid(ex.grid, meta["channels"], meta["height"], meta["width"])[1]


def test_a_vit_opens_on_its_middle_block_with_token_maps_on_the_patch_grid(photo):
    torch.manual_seed(0)
    deit = timm.create_model("deit_tiny_patch16_224", pretrained=False)
    before = model_state(deit)
    ex = CNNExplorer(deit, image=photo)
    assert ex.layer == "blocks.6"
    assert (ex.grid_meta["channels"], ex.grid_meta["height"], ex.grid_meta["width"]) == (192, 14, 14)
    exact = cnnwidget.activations(deit, photo, "blocks.6")  # the class token left out
    assert exact.shape == (192, 14, 14)
    assert np.abs(shown_maps(ex) - exact).max() <= (exact.max() - exact.min()) / 255 + 1e-4
    assert {l["name"]: l["shape"] for l in ex.layers}["blocks.2"] == [192, 14, 14]
    assert_same_state(before, model_state(deit))


def test_a_swin_stage_is_shown_channels_first(photo):
    torch.manual_seed(0)
    swin = torchvision.models.swin_t().eval()  # stochastic depth off for the reference pass
    ex = CNNExplorer(swin, image=photo, layer="norm")  # (N, 7, 7, 768) channels-last
    assert (ex.grid_meta["channels"], ex.grid_meta["height"], ex.grid_meta["width"]) == (768, 7, 7)
    exact = cnnwidget.activations(swin, photo, "norm")
    x = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    seen = []
    handle = swin.norm.register_forward_hook(lambda module, inputs, output: seen.append(output.detach()))
    try:
        with torch.no_grad():
            swin(x)
    finally:
        handle.remove()
    canonical = activations_for_tensor(swin, x, "norm")
    assert np.allclose(canonical, seen[0][0].permute(2, 0, 1).numpy(), atol=1e-5)
    assert np.abs(shown_maps(ex) - exact).max() <= (exact.max() - exact.min()) / 255 + 1e-4


def test_live_frames_on_token_and_channels_last_layers_come_back_as_maps_on_their_grid(photo):
    torch.manual_seed(0)
    deit = timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()
    swin = torchvision.models.swin_t().eval()
    frame = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    for model, layer, channels in ((deit, "blocks.4", 192), (swin, "features.3", 192)):
        before = model_state(model)
        ex = CNNExplorer(model, image=photo, layer=layer, auto_maximize=False)
        try:
            acts = ex.feed(frame)["activations"]
        finally:
            ex.close()
        assert acts.shape[0] == channels and acts.ndim == 3 and min(acts.shape[1:]) > 1
        if model is deit:
            assert acts.shape[1:] == (14, 14)  # the frame is resized to the model's 224 px: its patch grid
        assert np.isfinite(acts).all() and acts.std() > 0
        assert_same_state(before, model_state(model))


def test_the_explorers_attribution_on_a_vit_unit_and_class_is_a_real_map_over_the_picture(photo):
    torch.manual_seed(0)
    deit = timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()
    before = model_state(deit)
    ex = CNNExplorer(deit, image=photo, auto_maximize=False)
    try:
        for target in (("blocks.6", 3), 5):
            heat = ex.attribution_map(target=target, method="gradcam")
            assert heat.shape == (224, 224) and np.isfinite(heat).all()
            assert heat.max() == 1.0 and heat.std() > 0.01
    finally:
        ex.close()
    assert_same_state(before, model_state(deit))
