"""Pretrained weights from torchvision and timm, and what to do when they cannot be fetched."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import torch


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights could not be downloaded (usually: no network).

    The message names the file to fetch, where to put it, and the offline
    alternative ``cnnwidget.load_model("default")``.
    """


def cached_weights_path(weights) -> Path:
    """Where torch looks for a torchvision ``Weights`` file before downloading it.

    That is ``torch.hub.get_dir()/checkpoints/<file name of the weights' URL>``;
    ``$TORCH_HOME`` moves it.
    """
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(weights.url).path)


def torchvision_offline_message(name: str, weights, err: BaseException) -> str:
    """The error text for torchvision weights that could not be downloaded."""
    path = cached_weights_path(weights)
    return (
        f"could not download the pretrained weights for {name!r} ({weights}): "
        f"{err.__class__.__name__}: {err}. This machine looks offline. Either download "
        f"{weights.url} on a machine with internet and put the file {path.name} at {path} "
        f"(torch looks there first), or use the offline default model: "
        f'cnnwidget.load_model("default"). For random weights pass weights=None.'
    )


def timm_offline_message(name: str, model_cls_cfg, err: BaseException) -> str:
    """The error text for timm weights that could not be fetched."""
    source = ""
    hub_id = getattr(model_cls_cfg, "hf_hub_id", None)
    url = getattr(model_cls_cfg, "url", None)
    if hub_id:
        source = f" from the Hugging Face Hub ({hub_id}, cached under {_hf_cache()})"
    elif url:
        source = f" from {url}"
    return (
        f"could not fetch timm's pretrained weights for {name!r}{source}: "
        f"{err.__class__.__name__}: {err}. This machine looks offline. Either fetch them once on a "
        f"machine with internet (the cache can be copied over), or pass a local weights file: "
        f'cnnwidget.load_model("timm:{name}", weights="/path/to/{name}.safetensors") '
        f"(a .safetensors, .pth or .bin state dict), or use the offline default model: "
        f'cnnwidget.load_model("default"). For random weights pass weights=None.'
    )


def _hf_cache() -> str:
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except Exception:  # pragma: no cover - huggingface_hub missing or very old
        return os.path.join(os.path.expanduser("~"), ".cache", "huggingface", "hub")
