"""The one message protocol between the kernel and the browser.

Everything that crosses the wire is defined here and described in
``docs/protocol.md``; the TypeScript mirror is ``js/protocol.ts``. State that
must survive a page reload lives in traitlets (see :mod:`cnnwidget.explorer`);
one-off commands and streamed progress travel as custom messages, whose
``content`` is a small JSON dict with a ``type`` field and whose bulk data
travels in binary ``buffers``.

Activation grid (the ``grid`` trait, little-endian bytes)::

    float32[C][4]   per channel: min, max, mean, flat index of the max
    uint8[C][H][W]  each channel quantized with its own min..max to 0..255

``grid_meta`` (a dict trait) carries ``{"layer", "channels", "height",
"width", "version"}`` for the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

# Messages from the browser to the kernel.
UPLOAD = "upload"  # content: {name}; buffers: [file bytes]
SAMPLE = "sample"  # content: {name}
MAXIMIZE = "maximize"  # content: {layer, channel}
CANCEL = "cancel"  # content: {job?}: stop that kind of job ("maximize", "dream", "attribution", "adversarial"), all when absent
DREAM = "dream"  # content: {}
FRAME = "frame"  # content: {id, width, height, t, latency_ms?, format?}; buffers: [RGBA uint8 H*W*4, or a JPEG with format "jpeg"]
FREEZE = "freeze"  # content: {id?}: the frame the browser shows (default: the last one)
LIVE_STOP = "live_stop"  # content: {}
ATLAS_IMAGE = "atlas_image"  # content: {layer, channel}; answered by the kernel message of the same type
TRANSPORT = "transport"  # content: {probe?: true} with buffers [TRANSPORT_PROBE], or {encoding: "buffers" | "base64"}

B64 = "b64"
"""Content key of a message's buffers as base64 strings, when buffers do not arrive (transport.py)."""
TRANSPORT_PROBE = b"\xca\xfe\x00\x01"
"""The bytes of the transport probe, sent as a buffer both ways to learn whether buffers arrive."""
MAXIMIZE_CLASS = "maximize_class"  # content: {class}: maximize that class's logit
ADVERSARIAL = "adversarial"  # content: {class, eps?, steps?}: make the picture say class; eps in grey levels (of 255)

BROWSER_MESSAGES = {
    UPLOAD: {"name": str},
    SAMPLE: {"name": str},
    MAXIMIZE: {"layer": str, "channel": int},
    CANCEL: {},
    DREAM: {},
    FRAME: {"id": int, "width": int, "height": int},
    FREEZE: {},
    LIVE_STOP: {},
    ATLAS_IMAGE: {"layer": str, "channel": int},
    TRANSPORT: {},
    MAXIMIZE_CLASS: {"class": int},
    ADVERSARIAL: {"class": int},  # eps and steps are checked against ADVERSARIAL_OPTIONS (widget/adversarial.py)
}
"""Message type -> required fields and their types, for messages the kernel accepts."""

# Messages from the kernel to the browser.
MAXIMIZE_PROGRESS = "maximize_progress"  # content: {job, unit, status, step, steps, value}; buffers: [PNG]
LIVE_RESULT = "live_result"  # content: {id, t, mode, layer, channels?, height?, width?, kernel_ms, size, stats}; buffers: [grid | dream JPEG, frame JPEG?]
DREAM_PROGRESS = "dream_progress"  # content: {job, status, octave, octaves}; buffers: [PNG]
# ATLAS_IMAGE (the answer): content: {layer, channel, found, value?, steps?}; buffers: [PNG] when found

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""Uploads larger than this are refused before decoding."""

MAX_FRAME_SIDE = 1024
"""Live frames larger than this on either side are refused (the browser sends the model's input size)."""

MAX_GRID_VALUES = 4 * 1024 * 1024
"""Grids with more values than this are downsampled spatially before sending."""

STATS_PER_CHANNEL = 4


class ProtocolError(ValueError):
    """A malformed message from the browser; the text is shown in the widget."""


@dataclass(frozen=True)
class Message:
    """A validated message from the browser."""

    type: str
    content: dict[str, Any]
    buffers: list[bytes]


def parse_browser_message(content: Any, buffers: Any) -> Message:
    """Validate a custom message from the front end, or raise :class:`ProtocolError`."""
    if not isinstance(content, dict):
        raise ProtocolError(f"expected a JSON object message, got {type(content).__name__}")
    kind = content.get("type")
    if kind not in BROWSER_MESSAGES:
        raise ProtocolError(f"unknown message type {kind!r}; expected one of {sorted(BROWSER_MESSAGES)}")
    for field, kind_of in BROWSER_MESSAGES[kind].items():
        value = content.get(field)
        if not isinstance(value, kind_of) or isinstance(value, bool):
            raise ProtocolError(f"message {kind!r} needs a{'n' if kind_of is int else ''} {kind_of.__name__} field {field!r}")
    blobs = [bytes(b) for b in (buffers or [])] or _base64_blobs(content)
    if kind == UPLOAD:
        if not blobs:
            raise ProtocolError("the upload arrived without its file data; try again")
        if len(blobs[0]) > MAX_UPLOAD_BYTES:
            raise ProtocolError(
                f"the file is {len(blobs[0]) / 1e6:.1f} MB; uploads are limited to "
                f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB, so resize it first"
            )
    if kind == FRAME:
        _check_frame(content, blobs)
    return Message(kind, content, blobs)


def _base64_blobs(content: dict) -> list[bytes]:
    """The buffers a front end without binary buffers put in ``content["b64"]`` (docs/protocol.md)."""
    encoded = content.get(B64, [])
    if not isinstance(encoded, list) or not all(isinstance(s, str) for s in encoded):
        raise ProtocolError(f"message field {B64!r} must be a list of base64 strings")
    try:
        return [base64.b64decode(s, validate=True) for s in encoded]
    except binascii.Error as err:
        raise ProtocolError(f"message field {B64!r} holds invalid base64: {err}") from None


FRAME_FORMATS = ("rgba", "jpeg")
"""How a live frame's pixels travel: raw RGBA bytes, or a JPEG (~15x fewer bytes at 224 px)."""


def _check_frame(content: dict, blobs: list[bytes]) -> None:
    w, h = content["width"], content["height"]
    if not (0 < w <= MAX_FRAME_SIDE and 0 < h <= MAX_FRAME_SIDE):
        raise ProtocolError(f"frame size {w}x{h} is outside 1..{MAX_FRAME_SIDE} px; send a downsized frame")
    form = content.get("format", "rgba")
    if form not in FRAME_FORMATS:
        raise ProtocolError(f"frame format {form!r} is not one of {FRAME_FORMATS}")
    if form == "jpeg":
        if not blobs or not blobs[0].startswith(b"\xff\xd8") or len(blobs[0]) > w * h * 4 + 4096:
            raise ProtocolError(f"frame data is not a JPEG of a {w}x{h} picture; send the canvas's image/jpeg blob")
        return
    if not blobs or len(blobs[0]) != w * h * 4:
        got = len(blobs[0]) if blobs else 0
        raise ProtocolError(f"frame data has {got} bytes; a {w}x{h} RGBA frame needs {w * h * 4}")


def frame_pixels(message: Message) -> np.ndarray:
    """The ``(H, W, 3)`` uint8 RGB pixels of a checked ``frame`` message (RGBA or JPEG).

    Raises:
        ProtocolError: the JPEG does not decode, or not to the declared size.
    """
    c = message.content
    w, h = c["width"], c["height"]
    if c.get("format", "rgba") == "rgba":
        rgba = np.frombuffer(message.buffers[0], dtype=np.uint8).reshape(h, w, 4)
        return np.ascontiguousarray(rgba[..., :3])
    try:
        with Image.open(io.BytesIO(message.buffers[0])) as picture:
            picture.draft("RGB", (w, h))
            rgb = np.asarray(picture.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise ProtocolError(f"the frame's JPEG does not decode ({err}); send the canvas's image/jpeg blob") from None
    if rgb.shape[:2] != (h, w):
        raise ProtocolError(f"the frame's JPEG is {rgb.shape[1]}x{rgb.shape[0]}, not the declared {w}x{h}")
    return rgb


def encode_grid(acts: np.ndarray) -> tuple[bytes, dict[str, int]]:
    """Pack ``(C, H, W)`` activations into the grid layout above.

    Returns the bytes and the shape actually sent (large layers are
    downsampled by an integer factor so that ``C*H*W <= MAX_GRID_VALUES``).
    """
    acts = np.asarray(acts, dtype=np.float32)
    if acts.ndim != 3:
        raise ValueError(f"activations must be (C, H, W); got shape {acts.shape}")
    acts = _shrink(acts)
    c, h, w = acts.shape
    flat = np.nan_to_num(acts.reshape(c, h * w), nan=0.0, posinf=0.0, neginf=0.0)
    lo = flat.min(axis=1)
    hi = flat.max(axis=1)
    stats = np.stack([lo, hi, flat.mean(axis=1), flat.argmax(axis=1).astype(np.float32)], axis=1)
    span = np.where(hi > lo, hi - lo, 1.0)[:, None]
    tiles = np.rint((flat - lo[:, None]) / span * 255.0).astype(np.uint8)
    payload = stats.astype("<f4").tobytes() + tiles.tobytes()
    return payload, {"channels": c, "height": h, "width": w}


def decode_grid(payload: bytes, channels: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`encode_grid`: ``(stats (C, 4), approx activations (C, H, W))``."""
    n_stats = channels * STATS_PER_CHANNEL * 4
    stats = np.frombuffer(payload[:n_stats], dtype="<f4").reshape(channels, STATS_PER_CHANNEL)
    tiles = np.frombuffer(payload[n_stats:], dtype=np.uint8).reshape(channels, height, width)
    lo, hi = stats[:, 0:1, None], stats[:, 1:2, None]
    return stats, lo + tiles.astype(np.float32) / 255.0 * (hi - lo)


def _shrink(acts: np.ndarray) -> np.ndarray:
    c, h, w = acts.shape
    factor = 1
    while c * (h // factor) * (w // factor) > MAX_GRID_VALUES and min(h, w) // factor > 1:
        factor += 1
    if factor == 1:
        return acts
    hh, ww = h // factor, w // factor
    return acts[:, : hh * factor, : ww * factor].reshape(c, hh, factor, ww, factor).mean(axis=(2, 4))


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes of a PIL image (lossless, for pictures compared pixel by pixel)."""
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def encode_jpeg(image: Image.Image, quality: int = 90) -> bytes:
    """JPEG bytes of a PIL image (for photos shown beside the maps)."""
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()
