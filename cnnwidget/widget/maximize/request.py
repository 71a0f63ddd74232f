"""A maximization requested from the widget: validate its options, run it, stream its pictures.

Widget-side glue between the engine's :class:`~cnnwidget.engine.maximize.Maximizer`
and the protocol: it turns the browser's option dict into a checked
:class:`MaximizeRequest`, and runs it step by step, handing every few steps'
picture to a callback that the widget forwards to the browser.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Callable

from PIL import Image

from ...engine import objectives as obj
from ...engine.accentuate import accentuate
from ...engine.images import load_image
from ...engine.maximize import Maximizer
from ...engine.preprocessing import Preprocess, to_pil
from ...engine.transparency import with_transparency
from ..options import Option, OptionSet

STREAM_EVERY_S = 0.2
"""Stream a picture when this many seconds have passed since the last one ..."""
STREAM_UPDATES = 16
"""... and, whatever the speed, at least this many times over a run."""

MAXIMIZE_OPTIONS = OptionSet("maximize", (
    Option("steps", "int", 176, "steps", low=1, high=4096),
    Option("size", "int", 160, "size px", low=32, high=512, step=16),
    Option("param", "choice", "soft", "image",
           choices={"soft": "Fourier, soft range", "fft": "Fourier + decorrelated",
                    "maco": "natural amplitudes (MACO)", "pixel": "pixels"}),
    Option("transforms", "flag", True, "transforms"),
    Option("mode", "choice", "channel", "maximize", choices={"channel": "whole channel", "neuron": "one neuron"}),
    Option("from_image", "flag", False, "from input image"),
    Option("batch", "int", 1, "batch", low=1, high=8),
    Option("negative", "flag", False, "negative"),
    Option("mask", "flag", False, "transparency mask"),
))
"""The widget's maximization options (the ``maximize_options`` trait), declared once."""

DEFAULT_OPTIONS = MAXIMIZE_OPTIONS.defaults()


class OptionError(ValueError):
    """A maximization option out of range; the message names the valid values."""


@dataclass(frozen=True)
class MaximizeRequest:
    """Everything that determines a maximization's pictures (and so its cache key)."""

    layer: str
    channel: int
    neuron: tuple[int, int] | None = None
    steps: int = DEFAULT_OPTIONS["steps"]
    size: int = DEFAULT_OPTIONS["size"]
    param: str = DEFAULT_OPTIONS["param"]
    transforms: bool = True
    from_image: bool = False
    batch: int = 1
    negative: bool = False
    mask: bool = False
    seed: int = 0

    @classmethod
    def build(cls, layer: str, channel: int, options: dict, neuron=None) -> "MaximizeRequest":
        """Check ``options`` (the widget's ``maximize_options`` trait) and build a request."""
        try:
            merged = MAXIMIZE_OPTIONS.check(options)
        except ValueError as err:
            raise OptionError(str(err)) from None
        if merged["mode"] == "neuron":
            if neuron is None:
                raise OptionError("neuron mode needs a position: click a point on the enlarged map")
            neuron = (int(neuron[0]), int(neuron[1]))
        else:
            neuron = None
        return cls(
            layer=layer,
            channel=int(channel),
            neuron=neuron,
            steps=merged["steps"],
            size=merged["size"],
            param=merged["param"],
            transforms=bool(merged["transforms"]),
            from_image=bool(merged["from_image"]),
            batch=merged["batch"],
            negative=bool(merged["negative"]),
            mask=bool(merged["mask"]),
        )

    def objective(self) -> obj.Objective:
        """The objective this request maximizes (diversity added for a batch)."""
        if self.layer in obj.OUTPUT_WORDS:  # a class: "logits:k"
            goal = obj.parse(f"{self.layer}:{self.channel}")
            return -goal if self.negative else goal
        if self.neuron is None:
            goal = obj.channel(self.layer, self.channel)
        else:
            goal = obj.neuron(self.layer, self.channel, *self.neuron)
        if self.negative:
            goal = -goal
        if self.batch > 1:
            goal = goal + 0.1 * obj.diversity(self.layer)
        return goal

    def describe(self) -> dict:
        """JSON-ready description, sent to the browser with each update."""
        out = asdict(self)
        out["neuron"] = list(self.neuron) if self.neuron else None
        return out


@dataclass
class MaximizeResult:
    """Final pictures of a request, and how the run ended."""

    images: list[Image.Image]
    value: float
    steps_done: int
    status: str  # "done" | "cancelled"
    curve: list[float]


def run_request(
    model,
    request: MaximizeRequest,
    *,
    cancel: threading.Event,
    image=None,
    preprocess=None,
    on_update: Callable[[int, list[Image.Image], float | None, list[float]], None] | None = None,
) -> MaximizeResult:
    """Run ``request`` on ``model``; call ``on_update(step, images, value, curve)`` while it runs.

    Updates come at once with the starting picture (step 0, ``value`` None, so the
    browser shows something before the first step's forward and backward pass),
    then at the first step, every :data:`STREAM_EVERY_S` seconds and at least
    :data:`STREAM_UPDATES` times per run. ``cancel`` stops the
    run within one step; the result then says ``"cancelled"``.

    Starting from the input picture (``from_image``, one picture) runs
    :func:`~cnnwidget.engine.accentuate.accentuate`: the photo changed within a
    budget so that the unit fires more, rather than a free picture that
    merely starts as the photo.
    """
    if request.from_image and image is not None and request.batch == 1:
        return _accentuate(model, request, cancel=cancel, image=image, preprocess=preprocess, on_update=on_update)
    engine = Maximizer(
        model,
        request.objective(),
        steps=request.steps,
        size=request.size,
        batch=request.batch,
        image=image if request.from_image else None,
        param=request.param,
        transforms="auto" if request.transforms else "none",
        seed=request.seed,
        preprocess=preprocess,
        cancel=cancel,
    )
    curve: list[float] = []
    last_sent = 0.0
    step = 0
    every = max(1, request.steps // STREAM_UPDATES)
    try:
        if on_update is not None and not cancel.is_set():
            on_update(0, engine.images(), None, curve)
        for state in engine:
            step = state.step
            curve.append(state.value)
            now = time.monotonic()
            due = step == 1 or step % every == 0 or now - last_sent >= STREAM_EVERY_S
            if on_update is not None and due and step < request.steps:
                on_update(step, engine.images(), state.value, curve)
                last_sent = now
    finally:
        engine.close()
    status = "done" if step == request.steps and not cancel.is_set() else "cancelled"
    images = engine.images()
    if request.mask:  # the transparency mask as each final picture's alpha channel
        images = [with_transparency(image, mask) for image, mask in zip(images, engine.masks())]
    return MaximizeResult(images, curve[-1] if curve else 0.0, step, status, curve)


def _accentuate(model, request: MaximizeRequest, *, cancel, image, preprocess, on_update) -> MaximizeResult:
    """:func:`run_request` for a picture started from the photo: feature accentuation, streamed the same way."""
    curve: list[float] = []
    last_sent = [0.0]
    every = max(1, request.steps // STREAM_UPDATES)
    photo = Preprocess(size=request.size).crop(load_image(image))
    if on_update is not None and not cancel.is_set():
        on_update(0, [photo], None, curve)

    def on_step(step: int, pixels, value: float) -> None:
        curve.append(value)
        now = time.monotonic()
        if on_update is not None and step < request.steps and (
            step == 1 or step % every == 0 or now - last_sent[0] >= STREAM_EVERY_S
        ):
            on_update(step, [to_pil(pixels[0].float().cpu())], value, curve)
            last_sent[0] = now

    result = accentuate(
        model, image, request.objective(), steps=request.steps, size=request.size,
        transforms="standard" if request.transforms else "none", seed=request.seed,
        preprocess=preprocess, cancel=cancel, callback=on_step,
    )
    done = len(curve) == request.steps and not cancel.is_set()
    return MaximizeResult([result.image], result.after, len(curve), "done" if done else "cancelled", curve)
