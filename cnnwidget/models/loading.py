"""``load_model``: one line from a model spec to an eval-mode network with its preprocessing.

Spec kinds, tried in this order:

* an ``nn.Module`` — used as is;
* ``"default"`` — the offline default model that ships with cnnwidget;
* ``"timm:NAME"`` — a timm model, with timm's pretrained config;
* a path to a ``.pt`` / ``.pth`` / ``.ckpt`` / ``.bin`` / ``.safetensors`` file
  (or any existing file) — a state dict plus an architecture, or a full model;
* ``"package.module:attr"`` — an ``nn.Module`` instance, class or factory
  found by import;
* otherwise a torchvision model name such as ``"resnet18"``.
"""

from __future__ import annotations

import difflib
import importlib
import os
import pickle
import re
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn

from ..engine.preprocessing import Preprocess
from .default_model import default_model, from_checkpoint, is_default_checkpoint
from .weights import wants_random_weights
from .hub import (
    WeightsUnavailableError,
    cached_weights_path,
    reachable,
    timm_cached_file,
    timm_offline_message,
    timm_source_url,
    torchvision_offline_message,
)


class ModelSpecError(ValueError):
    """A model spec that cannot be resolved; the message names the fix."""


FILE_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".safetensors")
_IMPORT_SPEC = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def load_model(
    spec,
    weights: str | os.PathLike | None = "DEFAULT",
    *,
    arch: str | None = None,
    device: str | torch.device | None = None,
    allow_pickle: bool = False,
) -> nn.Module:
    """Load a model from a spec, ready for cnnwidget.

    Args:
        spec: ``"default"``; a torchvision model name (``"resnet18"``,
            ``"googlenet"``); ``"timm:NAME"``; a ``.pt``/``.pth`` file; a
            ``"package.module:attr"`` import path; or an ``nn.Module``.
        weights: for torchvision and timm: ``"DEFAULT"`` (the recommended
            pretrained weights), a torchvision weights name such as
            ``"IMAGENET1K_V1"`` or ``"ResNet18_Weights.IMAGENET1K_V1"``, a path
            to a local state-dict file, or ``None`` / ``"none"`` for random
            initialization. For ``"default"``: ``"DEFAULT"``, a checkpoint
            path, or ``None``. Ignored for files, imports and modules.
        arch: the architecture (any spec above) whose state dict a file holds,
            when the file does not say so itself.
        device: where to put the model; left where it is when ``None``.
        allow_pickle: let a file run arbitrary pickled code (needed for files
            saved with ``torch.save(model)``). Only for files you trust; by
            default files are read with ``torch.load(..., weights_only=True)``.

    Returns:
        The model in eval mode, with ``cnnwidget_preprocess`` set to how images
        become its input (a :class:`~cnnwidget.Preprocess` or torchvision's
        weights transforms) and, when known, ``cnnwidget_classes`` (class names).

    Raises:
        WeightsUnavailableError: pretrained weights could not be downloaded;
            the message says which file to put where, or to use ``"default"``.
        ModelSpecError: the spec names nothing loadable; the message says why.

    Examples:
        >>> import cnnwidget
        >>> model = cnnwidget.load_model("default")            # offline, trained
        >>> model = cnnwidget.load_model("resnet18")           # torchvision + weights
        >>> model = cnnwidget.load_model("timm:convnext_tiny") # timm + weights
        >>> model = cnnwidget.load_model("my.pth", arch="resnet18")
        >>> model = cnnwidget.load_model("mypkg.nets:build_net")
    """
    model = _resolve(spec, weights, arch, allow_pickle)
    if getattr(model, "cnnwidget_preprocess", None) is None:
        model.cnnwidget_preprocess = Preprocess()
    if device is not None:
        model.to(device)
    return model.eval()


def _resolve(spec, weights, arch, allow_pickle) -> nn.Module:
    if isinstance(spec, nn.Module):
        return spec
    if not isinstance(spec, (str, os.PathLike)):
        raise ModelSpecError(
            f"a model spec is a string, a path or an nn.Module, not {type(spec).__name__}; "
            'try load_model("default") or load_model("resnet18")'
        )
    text = os.fspath(spec).strip()
    if text.lower() == "default":
        return default_model(weights)
    if text.lower().startswith("timm:"):
        return _timm(text[5:], weights)
    path = Path(text).expanduser()
    if path.suffix.lower() in FILE_SUFFIXES or path.is_file():
        return _from_file(path, arch, allow_pickle)
    if _IMPORT_SPEC.match(text):
        return _from_import(text)
    return _torchvision(text, weights)


# --------------------------------------------------------------------------- torchvision


def _torchvision_weights(name: str, weights):
    """The torchvision ``Weights`` enum member that ``weights`` names."""
    from torchvision.models import get_model_weights, get_weight

    enum = get_model_weights(name)
    if not isinstance(weights, str):
        return weights  # already a Weights member
    key = weights.strip()
    if key.upper() == "DEFAULT":
        return enum.DEFAULT
    try:
        return get_weight(key) if "." in key else enum[key]
    except (KeyError, ValueError):
        names = ", ".join(w.name for w in enum)
        raise ModelSpecError(f"{name!r} has no weights {key!r}; choose DEFAULT, none, or one of: {names}") from None


def _torchvision(name: str, weights) -> nn.Module:
    import torchvision.models as tvm

    key = name.lower()
    available = tvm.list_models()
    if key not in available:
        close = difflib.get_close_matches(key, available, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ModelSpecError(
            f"unknown model {name!r}: not a torchvision model name, a file, 'timm:NAME' or "
            f"'package.module:attr'. {hint}Or use the offline default model: load_model(\"default\")."
        )
    try:
        enum = tvm.get_model_weights(key)
    except ValueError:  # a model without any published weights
        enum = None
    local = _local_file(weights)
    if wants_random_weights(weights) or local is not None or enum is None:
        model = tvm.get_model(key, weights=None)
        if local is not None:
            _load_state(model, _read_state(local), f"{local} into {key}")
        described = enum.DEFAULT if enum is not None else None
    else:
        described = _torchvision_weights(key, weights)
        if not cached_weights_path(described).is_file() and not reachable(described.url):
            err = ConnectionError(f"cannot reach {urlparse(described.url).hostname}")
            raise WeightsUnavailableError(torchvision_offline_message(key, described, err))
        try:
            model = tvm.get_model(key, weights=described)
        except OSError as err:  # URLError, ConnectionError, socket timeouts ...
            raise WeightsUnavailableError(torchvision_offline_message(key, described, err)) from err
    if described is not None:
        model.cnnwidget_preprocess = described.transforms()
        model.cnnwidget_classes = list(described.meta.get("categories") or []) or None
    return model


# --------------------------------------------------------------------------- timm


def _timm(name: str, weights) -> nn.Module:
    try:
        import timm
        import timm.data
    except ImportError:
        raise ModelSpecError(
            f"'timm:{name}' needs the timm package: pip install timm (or pip install cnnwidget[timm])"
        ) from None
    name = name.strip()
    if not timm.is_model(name):
        close = difflib.get_close_matches(name, timm.list_models(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see timm.list_models()"
        raise ModelSpecError(f"timm has no model {name!r}{hint}")
    local = _local_file(weights)
    if wants_random_weights(weights) or local is not None:
        model = timm.create_model(name, pretrained=False)
        if local is not None:
            _load_state(model, _read_state(local), f"{local} into timm:{name}")
    else:
        if not (isinstance(weights, str) and weights.strip().upper() == "DEFAULT"):
            name = f"{name}.{weights.strip()}" if "." not in name else name  # a pretrained tag
        cfg = _timm_cfg(name)
        if cfg is None:
            raise ModelSpecError(f"timm has no pretrained weights for {name!r}; pass weights=None for random ones")
        cached = timm_cached_file(cfg)
        if cached is None:
            url = timm_source_url(cfg)
            if url and not reachable(url):
                err = ConnectionError(f"cannot reach {urlparse(url).hostname}")
                raise WeightsUnavailableError(timm_offline_message(name, cfg, err))
        overlay = {"file": cached} if cached else None
        try:
            model = timm.create_model(name, pretrained=True, pretrained_cfg_overlay=overlay)
        except Exception as err:  # timm surfaces network failures as many types
            if isinstance(err, (RuntimeError, ValueError)) and "Unknown" in str(err):
                raise ModelSpecError(f"timm cannot build {name!r}: {err}") from err
            raise WeightsUnavailableError(timm_offline_message(name, cfg, err)) from err
    config = timm.data.resolve_data_config({}, model=model)
    model.cnnwidget_preprocess = Preprocess(
        size=int(config["input_size"][-1]), mean=tuple(config["mean"]), std=tuple(config["std"])
    )
    model.cnnwidget_data_config = config
    return model


def _timm_cfg(name: str):
    try:
        from timm.models import get_pretrained_cfg

        return get_pretrained_cfg(name, allow_unregistered=False)
    except Exception:
        return None


# --------------------------------------------------------------------------- files


def _local_file(weights) -> Path | None:
    if wants_random_weights(weights):
        return None
    if isinstance(weights, os.PathLike) or (isinstance(weights, str) and Path(weights).suffix.lower() in FILE_SUFFIXES):
        path = Path(weights).expanduser()
        if not path.is_file():
            raise ModelSpecError(f"no weights file at {str(path)!r}; check the path")
        return path
    return None


def _torch_load(path: Path, allow_pickle: bool):
    if path.suffix.lower() == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise ModelSpecError("reading .safetensors files needs the safetensors package: pip install safetensors") from None
        return load_file(str(path))
    try:
        return torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except pickle.UnpicklingError as err:
        if allow_pickle:
            raise
        raise ModelSpecError(
            f"{path} holds pickled Python objects (probably a whole model saved with torch.save(model)); "
            "loading it could run arbitrary code, so cnnwidget reads files with weights_only=True. "
            "If you trust the file, pass allow_pickle=True; better, save a state dict instead: "
            "torch.save(model.state_dict(), path) and load it with load_model(path, arch=...)."
        ) from None


def _read_state(path: Path) -> dict:
    obj = _torch_load(path, allow_pickle=False)
    state = _state_dict_of(obj)
    if state is None:
        raise ModelSpecError(f"{path} does not hold a state dict (a mapping of names to tensors)")
    return state


def _state_dict_of(obj) -> dict | None:
    if not isinstance(obj, dict):
        return None
    for key in ("state_dict", "model_state_dict", "model", "net"):
        inner = obj.get(key)
        if isinstance(inner, dict) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
            return inner
    if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return obj
    return None


def _load_state(model: nn.Module, state: dict, what: str) -> None:
    state = {k.removeprefix("module."): v for k, v in state.items()}  # DataParallel checkpoints
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        first = str(err).split("\n")[0:3]
        raise ModelSpecError(
            f"cannot load {what}: the weights do not fit the architecture ({' '.join(first).strip()}); "
            "check that arch names the network the file was saved from"
        ) from None


def _from_file(path: Path, arch: str | None, allow_pickle: bool) -> nn.Module:
    if not path.is_file():
        raise ModelSpecError(f"no model file at {str(path)!r}; check the path")
    obj = _torch_load(path, allow_pickle)
    if isinstance(obj, nn.Module):
        return obj
    if isinstance(obj, torch.jit.ScriptModule):  # pragma: no cover - ScriptModule is an nn.Module
        return obj
    if is_default_checkpoint(obj):
        return from_checkpoint(obj)
    state = _state_dict_of(obj)
    if state is None:
        raise ModelSpecError(
            f"{path} holds a {type(obj).__name__}, neither a model nor a state dict; "
            "save one with torch.save(model.state_dict(), path)"
        )
    arch = arch or (obj.get("arch") if isinstance(obj.get("arch"), str) else None)
    if arch is None:
        raise ModelSpecError(
            f"{path} holds a state dict but not which network it belongs to; "
            f'name the architecture: load_model({str(path)!r}, arch="resnet18") (any model spec works as arch)'
        )
    model = _resolve(arch, None, None, False)
    _load_state(model, state, f"{path} into {arch}")
    return model


# --------------------------------------------------------------------------- imports


def _from_import(text: str) -> nn.Module:
    module_name, attr_path = text.split(":", 1)
    try:
        obj = importlib.import_module(module_name)
    except ImportError as err:
        raise ModelSpecError(f"cannot import {module_name!r} for spec {text!r}: {err}") from None
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ModelSpecError(f"{module_name!r} has no attribute {attr_path!r} (spec {text!r})") from None
    if not isinstance(obj, nn.Module) and callable(obj):
        obj = obj()
    if not isinstance(obj, nn.Module):
        raise ModelSpecError(
            f"{text!r} gives a {type(obj).__name__}; it must be an nn.Module, or a class or function "
            "that returns one when called with no arguments"
        )
    return obj
