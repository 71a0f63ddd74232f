"""Click a unit, watch the picture it wants to see: the explorer's maximization feature."""

from __future__ import annotations

import traitlets
from PIL import Image

from .. import protocol
from ..feature_host import FeatureHost
from ..jobs import Job
from ...engine import find_layer
from ...engine.layer_catalog import input_for
from ...engine.objective_plan import objective_plan
from ...engine.objectives import class_logit
from .request import DEFAULT_OPTIONS, MAXIMIZE_OPTIONS, MaximizeRequest, MaximizeResult, run_request


CLASS_LAYER = "logits"
"""The pseudo-layer a class's maximization runs under (``"logits:k"`` is class ``k``)."""


def strip(images: list[Image.Image]) -> Image.Image:
    """The pictures of a batch side by side, in one image."""
    if len(images) == 1:
        return images[0]
    w, h = images[0].size
    out = Image.new(images[0].mode, (w * len(images), h))
    for i, image in enumerate(images):
        out.paste(image, (i * w, 0))
    return out


class MaximizeFeature(FeatureHost):
    """Traits and handlers for filter maximization (mixed into :class:`~cnnwidget.CNNExplorer`)."""

    maximize_options = traitlets.Dict(
        dict(DEFAULT_OPTIONS), help="Options of the next maximization (see docs/protocol.md)."
    ).tag(sync=True)
    maximize_state = traitlets.Dict(
        help="{job, unit, status, step, steps, value, curve}; status is running|done|cancelled|error."
    ).tag(sync=True)
    maximized_image = traitlets.Bytes(b"", help="PNG of the latest finished (or stopped) maximization.").tag(sync=True)
    neuron = traitlets.Tuple((), help="(y, x) position chosen on the enlarged map for neuron mode.").tag(sync=True)
    auto_maximize = traitlets.Bool(True, help="Start a maximization whenever a unit is selected.").tag(sync=True)

    def _init_maximize(self) -> None:
        self._maximize_cache: dict[tuple, MaximizeResult] = {}
        self._maximize_pictures: list[Image.Image] = []
        self._maximize_selecting_from_code = False
        self._maximize_requests = 0  # the newest request's number; older jobs never overwrite its state
        self._handlers[protocol.MAXIMIZE] = lambda m: self.maximize((m.content["layer"], m.content["channel"]))
        self._handlers[protocol.MAXIMIZE_CLASS] = lambda m: self.maximize_class(m.content["class"])
        self.on_select(self._maximize_on_select)

    # ----- public API ---------------------------------------------------------------------------

    @property
    def maximized(self):
        """The latest maximized picture (PIL), a list for a batch, ``None`` before any."""
        if not self._maximize_pictures:
            return None
        return self._maximize_pictures[0] if len(self._maximize_pictures) == 1 else list(self._maximize_pictures)

    def maximize(self, unit=None, **options) -> Job | None:
        """Maximize ``unit`` = ``(layer, channel)`` (the selected one by default) in the background.

        Options override ``maximize_options`` for this run (``steps``, ``size``, ``param``,
        ``transforms``, ``mode``, ``from_image``, ``batch``, ``negative``). The picture
        streams to the widget; a newer request cancels this one. Returns the
        background :class:`~cnnwidget.jobs.Job` (``job.wait()`` waits), or
        ``None`` when the result came from the cache.
        """
        unit = tuple(unit) if unit is not None else tuple(self.selected)
        if len(unit) != 2:
            raise ValueError("no unit to maximize: pass (layer, channel) or select a unit first")
        merged = {**self.maximize_options, **options}
        request = MaximizeRequest.build(unit[0], unit[1], merged, self._maximize_neuron_at(unit[0], merged))
        self._maximize_selecting_from_code = True
        try:
            self.selected = unit  # validates the unit and shows it selected in the browser
        finally:
            self._maximize_selecting_from_code = False
        return self._maximize_start(request)

    def maximize_class(self, k: int, **options) -> Job | None:
        """Draw the picture of class ``k`` (its logit maximized, Simonyan et al. 2014) in the maximization panel.

        Streams like a unit's maximization; ``options`` override ``maximize_options``
        for this run. Returns the background job (``None`` when cached).
        """
        merged = {**self.maximize_options, **options, "mode": "channel"}
        request = MaximizeRequest.build(CLASS_LAYER, int(k), merged)
        objective_plan(self.model, [class_logit(int(k))], int(self._input.shape[-1]))  # names a bad class
        return self._maximize_start(request)

    # ----- internals ----------------------------------------------------------------------------

    def _maximize_on_select(self, unit) -> None:
        if self.auto_maximize and not self._maximize_selecting_from_code:
            try:
                request = MaximizeRequest.build(
                    unit[0], unit[1], self.maximize_options, self._maximize_neuron_at(unit[0], self.maximize_options)
                )
            except ValueError as err:
                self.error = str(err)
                return
            self._maximize_start(request)

    def _maximize_neuron_at(self, layer: str, options: dict):
        """``neuron`` (a position in the map of the input picture, as shown enlarged) moved to the
        same relative position in the map of a ``size``-px maximization picture."""
        options = {**DEFAULT_OPTIONS, **(options or {})}
        if len(self.neuron) != 2 or options["mode"] != "neuron":
            return None
        size = options["size"]
        try:
            MAXIMIZE_OPTIONS["size"].check(size, "")
        except ValueError:
            return self.neuron  # MaximizeRequest.build names the bad size
        _, src_h, src_w = self._check_layer(layer).shape
        _, dst_h, dst_w = find_layer(self.model, layer, size).shape
        y, x = (int(v) for v in self.neuron)
        if not (0 <= y < src_h and 0 <= x < src_w):
            raise ValueError(
                f"neuron {list(self.neuron)} is outside the {src_h}x{src_w} map of {layer!r}: "
                "click the enlarged map to choose one"
            )
        return min(dst_h - 1, int((y + 0.5) * dst_h / src_h)), min(dst_w - 1, int((x + 0.5) * dst_w / src_w))

    def _maximize_start(self, request: MaximizeRequest) -> Job | None:
        origin = None
        for source in self._precomputed_maximizations:
            answer = source(request)
            if answer is not None:
                request, result, origin = answer
                self._maximize_cache[(request, None)] = result
                break
        key = (request, self._image_version if request.from_image else None)
        with self._jobs_lock:
            self._maximize_requests += 1
            ticket = self._maximize_requests
        cached = self._maximize_cache.get(key)
        if cached is not None:
            self._runner.cancel()
            self._maximize_finish(None, request, cached, ticket, origin)
            return None
        image = self._pil
        return self._runner.submit("maximize", lambda job: self._maximize_run(job, request, key, image, ticket))

    def _maximize_run(self, job: Job, request: MaximizeRequest, key, image, ticket: int) -> None:
        self._maximize_publish(job, request, "running", 0, 0.0, [], ticket)
        self._show_input_notes(input_for(self.model, request.size).notes)

        def on_update(step, images, value, curve):
            if job.cancel.is_set():
                return
            self.send(
                {"type": protocol.MAXIMIZE_PROGRESS, "job": job.id, "unit": [request.layer, request.channel],
                 "status": "running", "step": step, "steps": request.steps, "value": value},
                buffers=[protocol.encode_png(strip(images))],
            )

        result = run_request(
            self.model, request, cancel=job.cancel, image=image, preprocess=self._preprocess, on_update=on_update
        )
        if result.status == "done":
            self._maximize_cache[key] = result
        self._maximize_finish(job, request, result, ticket)

    def _maximize_finish(
        self, job: Job | None, request: MaximizeRequest, result: MaximizeResult, ticket: int, origin: str | None = None
    ) -> None:
        with self._jobs_lock:
            if ticket != self._maximize_requests:
                return  # superseded (e.g. by a cached result shown while this job was stopping)
            self._maximize_pictures = list(result.images)
            with self.hold_sync():
                self.maximized_image = protocol.encode_png(strip(result.images))
                self._maximize_publish(job, request, result.status, result.steps_done, result.value, result.curve, ticket,
                                       origin)

    def _maximize_publish(self, job, request, status, step, value, curve, ticket: int, origin: str | None = None) -> None:
        with self._jobs_lock:
            if ticket != self._maximize_requests:
                return
            self.maximize_state = {
                "job": job.id if job else 0,
                "unit": [request.layer, request.channel],
                "request": request.describe(),
                "status": status,
                "step": step,
                "steps": request.steps,
                "value": float(value),
                "curve": [round(float(v), 5) for v in curve[-512:]],
                **({"source": origin} if origin else {}),
            }
