"""The model zoo we test against: torchvision CNNs and transformers, segmentation/detection backbones,
timm CNNs and timm transformers/hybrids.

Every model is built with random weights (nothing is downloaded). Used by the
compatibility sweep (``scripts/zoo_sweep.py``) and its tests.
"""

from __future__ import annotations

import random
from typing import Callable

from torch import nn

TRANSFORMERS = ("vit_", "swin_", "maxvit_")
"""torchvision classification models that are not CNNs (swept by :func:`torchvision_transformers`)."""

TIMM_TRANSFORMER_FAMILIES = (
    "vit_", "deit", "beit", "swin", "maxvit", "maxxvit", "coatnet", "coatnext", "efficientformer", "mobilevit",
    "levit", "eva", "cait", "xcit", "pvt_v2", "twins", "convit", "crossvit", "tnt_", "davit", "edgenext",
    "fastvit", "tiny_vit", "nextvit", "focalnet", "mvitv2", "efficientvit", "hiera", "flexivit", "gcvit",
    "coat_", "pit_", "volo", "poolformer", "caformer", "convformer", "vitamin", "sam2_hiera",
)
"""timm families of vision transformers and conv/attention hybrids."""

TIMM_TRANSFORMER_TOO_BIG = (
    "xxlarge", "xlarge", "huge", "giant", "gigantic", "enormous", "large", "_l_", "_h_", "_g_", "base", "_b_",
    "_b36", "5b", "7b", "so150m", "so400m", "336", "384", "408", "448", "512", "518", "560", "d4_", "d5_",
    "coatnet_3", "coatnet_4", "coatnet_5", "pvt_v2_b4", "pvt_v2_b5", "mobilevitv2_175", "mobilevitv2_200",
)
"""Name fragments of timm transformer variants too large for a CPU sweep (smaller variants of the
same architectures are tested); variants built for 336 px and more are left to their 224/256 px siblings."""

TIMM_CNN_FAMILIES = (
    "resnet", "resnext", "seresnet", "seresnext", "senet", "regnet", "efficientnet", "tf_efficientnet",
    "mobilenet", "mnasnet", "densenet", "dla", "dpn", "ghostnet", "hrnet", "inception", "xception", "vgg",
    "rexnet", "res2net", "resnest", "cspresnet", "cspresnext", "cspdarknet", "darknet", "convnext",
    "nfnet", "dm_nfnet", "eca_nfnet", "nf_resnet", "nf_regnet", "repvgg", "selecsls", "skresnet", "tresnet",
    "gernet", "hardcorenas", "lcnet", "tinynet", "mixnet", "tf_mixnet", "fbnet", "ecaresnet", "legacy_",
    "wide_resnet", "spnasnet", "semnasnet", "dpn", "bat_resnext", "resnetrs", "resnetv2", "regnetz",
    "mobileone", "ghostnetv2", "hgnet", "repghost", "inception_next",
)
TIMM_TOO_BIG = ("xxlarge", "xlarge", "huge", "giant", "_l2", "f4", "f5", "f6", "f7", "200", "269", "420", "_e", "resnet152", "101e", "152", "rs_350")
"""Name fragments of timm variants too large to build in a CPU sweep (same architectures, smaller variants are tested)."""


def torchvision_cnns() -> dict[str, Callable[[], nn.Module]]:
    """Every torchvision classification CNN, plus segmentation and detection backbones."""
    import torchvision.models as tvm
    from torchvision.models import get_model, list_models

    found: dict[str, Callable[[], nn.Module]] = {}
    for name in list_models(module=tvm):
        if not name.startswith(TRANSFORMERS):
            found[name] = _builder(name, get_model, {"weights": None})
    for name in list_models(module=tvm.segmentation):
        found[f"{name}.backbone"] = _backbone(name, get_model, {"weights": None, "weights_backbone": None})
    for name in list_models(module=tvm.detection):
        found[f"{name}.backbone"] = _backbone(name, get_model, {"weights": None, "weights_backbone": None})
    return found


def torchvision_transformers() -> dict[str, Callable[[], nn.Module]]:
    """Every torchvision classification transformer: ``vit_*``, ``swin_*``, ``swin_v2_*``, ``maxvit_t``."""
    import torchvision.models as tvm
    from torchvision.models import get_model, list_models

    return {
        name: _builder(name, get_model, {"weights": None})
        for name in list_models(module=tvm)
        if name.startswith(TRANSFORMERS)
    }


def timm_transformers(count: int = 60, seed: int = 0) -> dict[str, Callable[[], nn.Module]]:
    """A seeded random sample of ``count`` timm transformer and hybrid architectures (random weights)."""
    import timm

    names = sorted(
        n
        for n in timm.list_models()
        if n.startswith(TIMM_TRANSFORMER_FAMILIES) and not any(big in n for big in TIMM_TRANSFORMER_TOO_BIG)
    )
    chosen = sorted(random.Random(seed).sample(names, min(count, len(names))))
    return {f"timm:{n}": _builder(n, timm.create_model, {"pretrained": False}) for n in chosen}


def timm_cnns(count: int = 110, seed: int = 0) -> dict[str, Callable[[], nn.Module]]:
    """A seeded random sample of ``count`` timm CNN architectures (random weights)."""
    import timm

    names = sorted(
        n
        for n in timm.list_models()
        if n.startswith(TIMM_CNN_FAMILIES) and not any(big in n for big in TIMM_TOO_BIG)
    )
    chosen = sorted(random.Random(seed).sample(names, min(count, len(names))))
    return {f"timm:{n}": _builder(n, timm.create_model, {"pretrained": False}) for n in chosen}


def _builder(name: str, make, kwargs) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        return make(name, **kwargs)

    return build


def _backbone(name: str, make, kwargs) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        model = make(name, **kwargs)
        return model.backbone

    return build
