"""The model-zoo sweep: a fast sample in the default suite, the full sweep under `pytest -m slow`."""

import pytest

from cnnwidget.engine.compat import check_model
from cnnwidget.zoo import timm_cnns, torchvision_cnns

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


def test_fast_sample_of_timm():
    sample = timm_cnns(count=2, seed=1)
    assert len(sample) == 2
    for name, build in sample.items():
        report = check_model(build(), input_size=96)
        assert report.ok, (name, report.failures, report.changed)


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
