"""The model-zoo sweep: a fast sample in the default suite, the full sweep under `pytest -m slow`."""

import pytest

from cnnwidget.diagnostics.compat import check_model
from cnnwidget.diagnostics.zoo import timm_cnns, torchvision_cnns

TORCHVISION = torchvision_cnns()
FAST_SAMPLE = ["squeezenet1_1", "shufflenet_v2_x0_5", "lraspp_mobilenet_v3_large.backbone"]


def test_zoo_lists_every_torchvision_cnn_and_backbone():
    assert {"resnet18", "googlenet", "inception_v3", "convnext_tiny", "vgg11"} <= set(TORCHVISION)
    assert not [n for n in TORCHVISION if n.startswith(("vit_", "swin_"))]
    assert "fasterrcnn_resnet50_fpn.backbone" in TORCHVISION


@pytest.mark.parametrize("name", FAST_SAMPLE)
def test_fast_sample_of_torchvision(name):
    report = check_model(TORCHVISION[name](), input_size=96)
    assert report.ok, (report.failures, report.changed)


def test_timm_sample_is_seeded_and_made_of_cnns():
    first, again = timm_cnns(count=20, seed=3), timm_cnns(count=20, seed=3)
    assert list(first) == list(again) and len(first) == 20
    assert not [n for n in first if "vit" in n or "swin" in n]


@pytest.mark.parametrize("name", ["mobilenetv3_small_050", "lcnet_050"])
def test_fast_sample_of_timm(name):
    import timm
    report = check_model(timm.create_model(name, pretrained=False), input_size=96)
    assert report.ok, (report.failures, report.changed)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_every_torchvision_cnn(name):
    report = check_model(TORCHVISION[name](), input_size=128)
    assert report.ok, (report.failures, report.changed)


@pytest.mark.slow
def test_timm_sample_pass_rate_is_at_least_95_percent():
    results = {name: check_model(build(), input_size=128) for name, build in timm_cnns(110, 0).items()}
    failed = {n: r.failures for n, r in results.items() if not r.ok}
    assert len(failed) <= 0.05 * len(results), failed


def test_transformer_zoo_holds_every_torchvision_transformer_and_a_seeded_timm_sample():
    from cnnwidget.diagnostics.zoo import timm_transformers, torchvision_transformers

    tv = torchvision_transformers()
    assert {"vit_b_16", "swin_t", "swin_v2_t", "maxvit_t"} <= set(tv)
    first, again = timm_transformers(60, 0), timm_transformers(60, 0)
    assert list(first) == list(again) and len(first) == 60
    families = {n.split(":")[1].split("_")[0] for n in first}
    assert len(families) >= 15


@pytest.mark.parametrize("name", ["deit_tiny_patch16_224", "levit_128s"])
def test_fast_sample_of_timm_transformers(name):
    import timm
    report = check_model(timm.create_model(name, pretrained=False), input_size=96)
    assert report.ok, (report.failures, report.changed)
    assert report.layout == "tokens" and report.layouts["tokens"] > 100
