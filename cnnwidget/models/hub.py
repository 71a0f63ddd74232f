"""Pretrained weights from torchvision and timm, and what to do when they cannot be fetched."""

from __future__ import annotations

import os
import socket
import urllib.request
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


def reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether the host of ``url`` accepts a connection within ``timeout`` seconds.

    Checked before a download so that an offline machine fails in seconds
    rather than hanging or retrying; always ``True`` when a proxy is configured
    (the proxy, not the host, is what a download would connect to).
    """
    if urllib.request.getproxies():
        return True
    parts = urlparse(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def timm_cached_file(cfg) -> str | None:
    """A local copy of timm's pretrained weights for ``cfg`` (a ``PretrainedCfg``), if one is cached."""
    hub_id = getattr(cfg, "hf_hub_id", None)
    if hub_id:
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:  # pragma: no cover - timm installs huggingface_hub
            try_to_load_from_cache = None
        if try_to_load_from_cache is not None:
            names = [getattr(cfg, "hf_hub_filename", None), "model.safetensors", "pytorch_model.bin"]
            for filename in filter(None, names):
                found = try_to_load_from_cache(hub_id, filename)
                if isinstance(found, str):
                    return found
    url = getattr(cfg, "url", None)
    if url:
        path = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(url).path)
        if path.is_file():
            return str(path)
    return None


def timm_source_url(cfg) -> str | None:
    """The address timm would download ``cfg``'s weights from."""
    if getattr(cfg, "hf_hub_id", None):
        return "https://huggingface.co"
    return getattr(cfg, "url", None) or None


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
