"""What the model's first layer needs: device, dtype, channel count and an input size it accepts.

Every engine operation builds its pictures as ``(N, 3, H, W)`` float32 tensors
in whatever size the user asked for. :class:`ModelInput` turns such a batch into
something the model accepts, differentiably (gradients flow back through it):

* **device and dtype**: moved to the model's device (``cuda:N``, ``mps``, CPU)
  and floating-point dtype (half precision included).
* **channels**: a model with one input channel is fed the picture's grey
  level (ITU-R BT.601 luminance); a model with more than three gets the
  three colours followed by the grey level in each extra channel.
* **size**: a picture smaller than the architecture needs (valid convolutions
  and pooling that would shrink it away) is upsampled to the smallest size
  that works; a model that takes only one size (fixed position embeddings,
  as in ViT and DeiT, or fixed attention windows) gets the picture resized
  to that size. Position embeddings are never interpolated: that would
  change the user's model.

:attr:`ModelInput.notes` says, in words, every choice that was made.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .placement import model_dtype

LUMINANCE = (0.299, 0.587, 0.114)
"""ITU-R BT.601 weights of red, green and blue in the grey level fed to one-channel models."""


class DeviceError(RuntimeError):
    """The model's tensors are spread over several devices, or its forward pass mixes devices; the message names the fix."""


DEVICE_MIXUP_FIX = (
    "the model's forward mixes devices; move the whole model and anything it creates to one device "
    "(model.to(device)); cnnwidget moves its inputs there"
)
"""What to do when the model's own forward pass mixes devices."""


def is_device_mixup(err: BaseException) -> bool:
    """Whether ``err`` is torch's complaint about tensors on different devices in one operation."""
    text = str(err)
    return isinstance(err, RuntimeError) and any(
        s in text for s in ("same device", "Expected all tensors to be on", "is not on the expected device")
    )


class InputNote(UserWarning):
    """A choice made to fit the picture to the model (size, channels), announced as a warning by
    ``maximize``, ``deepdream`` and the live dreamer."""


class InputSizeError(ValueError):
    """No input size the model accepts could be found; the message says what was tried."""


@dataclass
class ModelInput:
    """Adapts ``(N, 3, H, W)`` pictures to the model: device, dtype, channels, size.

    Attributes:
        device: the model's device.
        dtype: the model's floating-point dtype.
        channels: how many channels the model's first layer takes.
        size: ``(H, W)`` the model is fed, or ``None`` to keep the picture's size.
        notes: the choices made, in words (empty when the picture goes in as it is).
    """

    device: torch.device
    dtype: torch.dtype
    channels: int = 3
    size: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``(N, 3, H, W)`` (or already the model's channel count) as the model's input."""
        if self.size is not None and tuple(x.shape[-2:]) != self.size:
            x = F.interpolate(x.float(), size=self.size, mode="bilinear", align_corners=False)
        x = adapt_channels(x, self.channels)
        return x.to(device=self.device, dtype=self.dtype)

    def to_picture(self, pixels: torch.Tensor) -> torch.Tensor:
        """What to show for ``(N, 3, H, W)`` pixels: grey for one-channel models, else the pixels."""
        if self.channels == 1 and pixels.shape[1] == 3:
            return adapt_channels(pixels, 1).expand(-1, 3, -1, -1)
        return pixels


def adapt_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    """``(N, 3, H, W)`` to ``(N, channels, H, W)``: grey level for 1, colours + grey for more than 3."""
    have = x.shape[1]
    if have == channels or have != 3:
        return x
    grey = sum(w * x[:, i : i + 1] for i, w in enumerate(LUMINANCE))
    if channels == 1:
        return grey
    if channels < 3:
        return grey.expand(-1, channels, -1, -1)
    return torch.cat([x, grey.expand(-1, channels - 3, -1, -1)], dim=1)


def input_channels(model: nn.Module) -> int:
    """Channels of the model's first convolution or patch embedding (``in_chans`` for timm), default 3."""
    own = getattr(model, "in_chans", None)
    if isinstance(own, int):
        return own
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Conv1d, nn.Conv3d)):
            return module.in_channels
        if isinstance(module, nn.Linear):
            break
    return 3


def single_device(model: nn.Module) -> torch.device:
    """The one device holding all of the model's parameters and buffers.

    Raises:
        DeviceError: they sit on several devices; the message names them and the fix.
    """
    devices = {t.device for t in model.parameters()} | {t.device for t in model.buffers()}
    if len(devices) > 1:
        listed = ", ".join(sorted(str(d) for d in devices))
        target = next((d for d in sorted(devices, key=str) if d.type != "cpu"), next(iter(devices)))
        raise DeviceError(
            f"the model's parameters and buffers are on several devices ({listed}); "
            f"move the whole model to one, e.g. model.to({str(target)!r})"
        )
    return next(iter(devices)) if devices else torch.device("cpu")


def native_size(model: nn.Module) -> tuple[int, int] | None:
    """The input size the model was built for, when it says (torchvision ``image_size``, timm config)."""
    own = getattr(model, "image_size", None)
    if isinstance(own, int):
        return own, own
    cfg = getattr(model, "pretrained_cfg", None) or {}
    size = cfg.get("input_size") if isinstance(cfg, dict) else None
    patch_embed = getattr(model, "patch_embed", None)
    img_size = getattr(patch_embed, "img_size", None)
    if isinstance(img_size, (tuple, list)) and len(img_size) == 2:
        return int(img_size[0]), int(img_size[1])
    if size:
        return int(size[-2]), int(size[-1])
    return None


_CACHE: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def remember_accepted(model: nn.Module, size: tuple[int, int]) -> None:
    """Record that the model ran on a blank input of ``size`` as it is (no search needed for it)."""
    key = (tuple(size), str(single_device(model)), model_dtype(model), input_channels(model))
    with _LOCK:
        _CACHE.setdefault(model, {}).setdefault(key, (None, ""))


def model_input(model: nn.Module, size: tuple[int, int], accepts) -> ModelInput:
    """The :class:`ModelInput` for pictures of ``size`` ``(H, W)``.

    ``accepts((h, w)) -> bool`` runs the model on a blank input of that size
    and says whether it went through; it is called only when a size must be
    searched for (the requested size fails), and the answers are cached per model.
    """
    device = single_device(model)
    dtype = model_dtype(model)
    channels = input_channels(model)
    notes = []
    if channels != 3:
        notes.append(
            "the model takes 1 channel: it is fed the picture's grey level (BT.601 luminance)"
            if channels == 1
            else f"the model takes {channels} channels: red, green, blue, then the grey level in channels 4..{channels}"
        )
    key = (tuple(size), str(device), dtype, channels)
    with _LOCK:
        fitted = _CACHE.get(model, {}).get(key)
    if fitted is None:
        fitted = _fit_size(model, tuple(size), accepts)
        with _LOCK:
            _CACHE.setdefault(model, {})[key] = fitted
    target, note = fitted
    if note:
        notes.append(note)
    return ModelInput(device, dtype, channels, target, notes)


def _fit_size(model, size: tuple[int, int], accepts) -> tuple[tuple[int, int] | None, str]:
    if accepts(size):
        return None, ""
    native = native_size(model) or (224, 224)
    if not accepts(native):
        raise InputSizeError(
            f"the model accepts neither a {size[0]}x{size[1]} input nor its own size {native[0]}x{native[1]}; "
            "check that it takes (N, C, H, W) image batches"
        )
    other = (native[0] + 32, native[1] + 32) if min(size) >= min(native) else (native[0] - 16, native[1] - 16)
    if not accepts(other):
        return native, (
            f"the model takes only {native[0]}x{native[1]} inputs (fixed position embeddings or attention "
            f"windows): pictures of {size[0]}x{size[1]} are resized to {native[0]}x{native[1]} before it sees them "
            "(position embeddings are not interpolated)"
        )
    if min(size) >= min(native):
        return native, f"the model refused {size[0]}x{size[1]} inputs: pictures are resized to {native[0]}x{native[1]}"
    # Smallest scale between the requested size and the native one that goes through.
    low, high = 1.0, max(native[0] / size[0], native[1] / size[1])
    for _ in range(7):
        mid = (low + high) / 2
        if accepts(_scaled(size, mid)):
            high = mid
        else:
            low = mid
    target = _scaled(size, high)
    return target, (
        f"a {size[0]}x{size[1]} picture is smaller than this architecture needs (its convolutions and pooling "
        f"would shrink it away): it is optimized at {size[0]}x{size[1]} and upsampled to the minimum "
        f"{target[0]}x{target[1]} before the model sees it"
    )


def _scaled(size: tuple[int, int], factor: float) -> tuple[int, int]:
    return (int(-(-size[0] * factor // 1)), int(-(-size[1] * factor // 1)))
