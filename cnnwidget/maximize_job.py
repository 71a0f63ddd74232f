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

from .engine import objectives as obj
from .engine.maximize import Maximizer
from .option_checks import check_whole_numbers, merged_options

STREAM_EVERY_S = 0.2
"""Stream a picture when this many seconds have passed since the last one ..."""
STREAM_UPDATES = 16
"""... and, whatever the speed, at least this many times over a run."""

LIMITS = {"steps": (1, 4096), "size": (32, 512), "batch": (1, 8)}
DEFAULT_OPTIONS = {
    "steps": 128,
    "size": 160,
    "param": "fft",
    "transforms": True,
    "mode": "channel",
    "from_image": False,
    "batch": 1,
    "negative": False,
}


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
    param: str = "fft"
    transforms: bool = True
    from_image: bool = False
    batch: int = 1
    negative: bool = False
    seed: int = 0

    @classmethod
    def build(cls, layer: str, channel: int, options: dict, neuron=None) -> "MaximizeRequest":
        """Check ``options`` (the widget's ``maximize_options`` trait) and build a request."""
        try:
            merged = merged_options(options, DEFAULT_OPTIONS, "maximize")
            check_whole_numbers(merged, LIMITS, "")
        except ValueError as err:
            raise OptionError(str(err)) from None
        if merged["param"] not in ("fft", "pixel"):
            raise OptionError(f"param must be 'fft' or 'pixel'; got {merged['param']!r}")
        if merged["mode"] not in ("channel", "neuron"):
            raise OptionError(f"mode must be 'channel' or 'neuron'; got {merged['mode']!r}")
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
    """
    engine = Maximizer(
        model,
        request.objective(),
        steps=request.steps,
        size=request.size,
        batch=request.batch,
        image=image if request.from_image else None,
        param=request.param,
        transforms="standard" if request.transforms else "none",
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
    return MaximizeResult(engine.images(), curve[-1] if curve else 0.0, step, status, curve)
