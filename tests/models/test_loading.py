"""load_model: the four spec kinds, the blocked-download path and the pickle guard."""

from __future__ import annotations

import urllib.error

import pytest
import torch
import torchvision
from torch import nn

import cnnwidget
from cnnwidget.engine import Preprocess
from cnnwidget.models import (
    DEFAULT_WEIGHTS,
    DefaultNet,
    ModelSpecError,
    WeightsUnavailableError,
    load_model,
    pick_demo_model,
)

SMALL = "squeezenet1_1"  # a 5 MB torchvision model keeps file round trips cheap
SMALL_FILE = "squeezenet1_1-b8a52dc0.pth"

TINY = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
"""A module instance for the 'package.module:attr' spec."""

NOT_A_MODEL = 42


def make_tiny():
    return nn.Sequential(nn.Conv2d(3, 2, 3))


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# --------------------------------------------------------------------------- default


def test_default_spec_is_the_shipped_model_with_its_preprocessing():
    model = load_model("default")
    assert isinstance(model, DefaultNet) and not model.training
    assert model.cnnwidget_preprocess == Preprocess(size=128)
    assert len(model.cnnwidget_classes) >= 10
    assert cnnwidget.load_model is load_model


def test_default_spec_with_no_weights_is_random():
    a, b = load_model("default"), load_model("default", weights=None)
    assert not same_weights(a, b)
    assert b.cnnwidget_preprocess == a.cnnwidget_preprocess


# --------------------------------------------------------------------------- torchvision


@pytest.mark.parametrize("weights", [None, "none", "NONE"])
def test_torchvision_name_with_random_weights(hub_dir, weights):
    model = load_model("resnet18", weights=weights)
    assert isinstance(model, torchvision.models.ResNet) and not model.training
    # The weights' own transforms travel with the model even when the weights do not.
    assert model.cnnwidget_preprocess.crop_size == [224]
    assert model.cnnwidget_classes[0] == "tench"


def test_blocked_download_says_which_file_to_put_where_and_offers_the_default(hub_dir, no_network, sleeps):
    with pytest.raises(WeightsUnavailableError) as err:
        load_model(SMALL)
    # Failing fast, counted rather than timed: one try, no retry, no waiting.
    assert 1 <= len(no_network) <= 2 and len(set(no_network)) == len(no_network), no_network  # none repeated
    assert sleeps == [], "an offline machine must fail fast, not wait"
    msg = str(err.value)
    assert SMALL_FILE in msg
    assert str(hub_dir / "checkpoints" / SMALL_FILE) in msg
    assert "https://download.pytorch.org/models/" + SMALL_FILE in msg
    assert 'load_model("default")' in msg
    assert not (hub_dir / "checkpoints" / SMALL_FILE).exists()


def test_a_failing_download_itself_is_turned_into_the_clear_error(hub_dir, monkeypatch):
    # The connection probe passes, then the download fails (flaky network, firewall, ...).
    monkeypatch.setattr("cnnwidget.models.loading.reachable", lambda url: True)

    def fail(url, dst, *args, **kwargs):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "download_url_to_file", fail)
    with pytest.raises(WeightsUnavailableError, match=SMALL_FILE) as err:
        load_model(SMALL, weights="IMAGENET1K_V1")
    assert isinstance(err.value.__cause__, urllib.error.URLError)


def test_weights_already_in_the_hub_cache_load_offline(hub_dir):
    reference = torchvision.models.get_model(SMALL, weights=None)
    (hub_dir / "checkpoints").mkdir()
    torch.save(reference.state_dict(), hub_dir / "checkpoints" / SMALL_FILE)
    model = load_model(SMALL)
    assert same_weights(model, reference)
    assert model.cnnwidget_preprocess.crop_size == [224]


def test_torchvision_with_a_local_weights_file(tmp_path):
    reference = torchvision.models.get_model(SMALL, weights=None)
    torch.save(reference.state_dict(), tmp_path / "mine.pth")
    assert same_weights(load_model(SMALL, weights=tmp_path / "mine.pth"), reference)


def test_unknown_weights_name_lists_the_choices():
    with pytest.raises(ModelSpecError, match="IMAGENET1K_V1"):
        load_model("resnet18", weights="IMAGENET9K")


def test_unknown_model_name_suggests_close_ones():
    with pytest.raises(ModelSpecError, match="resnet18") as err:
        load_model("resnt18")
    assert 'load_model("default")' in str(err.value)


# --------------------------------------------------------------------------- timm


def test_timm_with_random_weights_gets_timms_data_config():
    import timm  # noqa: F401 - part of the test install
    model = load_model("timm:resnet18", weights=None)
    assert not model.training
    pre = model.cnnwidget_preprocess
    assert isinstance(pre, Preprocess) and pre.size == 224
    assert model.cnnwidget_data_config["crop_pct"] > 0
    assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)


def test_timm_blocked_download_fails_fast_and_clearly(hub_dir, no_network, sleeps):
    import timm  # noqa: F401 - part of the test install
    with pytest.raises(WeightsUnavailableError) as err:
        load_model("timm:resnet18")
    assert 1 <= len(no_network) <= 2 and len(set(no_network)) == len(no_network), no_network  # none repeated
    assert sleeps == [], "an offline machine must not wait for retries"
    msg = str(err.value)
    assert "timm/resnet18" in msg and 'load_model("default")' in msg and "weights=" in msg


def test_timm_with_a_local_weights_file(tmp_path):
    import timm
    reference = timm.create_model("resnet18", pretrained=False)
    torch.save(reference.state_dict(), tmp_path / "resnet18.pth")
    assert same_weights(load_model("timm:resnet18", weights=str(tmp_path / "resnet18.pth")), reference)


def test_timm_unknown_name():
    import timm  # noqa: F401 - part of the test install
    with pytest.raises(ModelSpecError, match="resnet18"):
        load_model("timm:resnet18x")


# --------------------------------------------------------------------------- import path


def test_import_spec_with_an_instance():
    model = load_model("tests.models.test_loading:TINY")
    assert model is TINY and not model.training
    assert isinstance(model.cnnwidget_preprocess, Preprocess)


def test_import_spec_with_a_factory():
    assert isinstance(load_model("tests.models.test_loading:make_tiny"), nn.Sequential)
    assert isinstance(load_model("torchvision.models:squeezenet1_1"), torchvision.models.SqueezeNet)


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("tests.models.test_loading:NOT_A_MODEL", "must be an nn.Module"),
        ("tests.models.test_loading:missing", "no attribute"),
        ("no_such_package_xyz.mod:net", "cannot import"),
    ],
)
def test_import_spec_errors(spec, fragment):
    with pytest.raises(ModelSpecError, match=fragment):
        load_model(spec)


# --------------------------------------------------------------------------- files


def test_state_dict_file_needs_an_architecture(tmp_path):
    reference = torchvision.models.get_model(SMALL, weights=None)
    path = tmp_path / "weights.pth"
    torch.save(reference.state_dict(), path)
    with pytest.raises(ModelSpecError, match="arch="):
        load_model(path)
    model = load_model(str(path), arch=SMALL)
    assert same_weights(model, reference)
    assert model.cnnwidget_preprocess.crop_size == [224]


def test_checkpoint_naming_its_architecture(tmp_path):
    reference = torchvision.models.get_model(SMALL, weights=None)
    path = tmp_path / "ckpt.pt"
    torch.save({"arch": SMALL, "state_dict": {"module." + k: v for k, v in reference.state_dict().items()}}, path)
    assert same_weights(load_model(path), reference)


def test_wrong_architecture_is_explained(tmp_path):
    torch.save(torchvision.models.get_model(SMALL, weights=None).state_dict(), tmp_path / "w.pt")
    with pytest.raises(ModelSpecError, match="do not fit"):
        load_model(tmp_path / "w.pt", arch="resnet18")


def test_pickled_model_needs_explicit_opt_in(tmp_path):
    path = tmp_path / "full.pt"
    torch.save(make_tiny(), path)
    with pytest.raises(ModelSpecError, match="allow_pickle=True"):
        load_model(path)
    assert isinstance(load_model(path, allow_pickle=True), nn.Sequential)


def test_the_shipped_checkpoint_is_a_file_spec_too():
    assert same_weights(load_model(DEFAULT_WEIGHTS), load_model("default"))


def test_missing_file():
    with pytest.raises(ModelSpecError, match="no model file"):
        load_model("/nonexistent/model.pth")


# --------------------------------------------------------------------------- modules, device


def test_a_module_passes_through_in_eval_mode():
    net = make_tiny().train()
    out = load_model(net, device="cpu")
    assert out is net and not out.training
    assert isinstance(out.cnnwidget_preprocess, Preprocess)


def test_a_non_spec_is_refused():
    with pytest.raises(ModelSpecError, match="spec"):
        load_model(3.5)


# --------------------------------------------------------------------------- demo


def test_demo_falls_back_to_the_default_model_with_a_one_line_notice(hub_dir):
    choice = pick_demo_model()
    assert choice.spec == "default" and isinstance(choice.model, DefaultNet)
    assert "\n" not in choice.notice
    assert "googlenet-1378be20.pth" in choice.notice and str(hub_dir / "checkpoints") in choice.notice


def test_demo_uses_a_pretrained_model_whose_weights_are_cached(hub_dir):
    (hub_dir / "checkpoints").mkdir()
    torch.save(torchvision.models.get_model(SMALL, weights=None).state_dict(), hub_dir / "checkpoints" / SMALL_FILE)
    choice = pick_demo_model(candidates=("googlenet", SMALL))
    assert choice.spec == SMALL and choice.notice is None
    assert isinstance(choice.model, torchvision.models.SqueezeNet)
