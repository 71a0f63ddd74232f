"""Where the evidence is: an attribution map (Captum) of the selected unit or of a chosen class.

The user picks the method (Grad-CAM, Integrated Gradients, Guided Backprop,
Occlusion) and the target (the selected unit, or a class). Grad-CAM and Guided
Backprop take one backward pass and are computed at once; Integrated Gradients and
Occlusion run in a background thread of their own, stream their progress in
``attribution_state`` and stop when a newer request comes or attribution is switched off.
"""

from __future__ import annotations

import numpy as np
import traitlets

from ..engine.attribution import METHOD_LABELS, METHODS, SANITY, attribution_map, method_name
from ..engine.cancellable_forward import Cancelled
from ..engine.normalizer import pixel_normalizer
from ..engine.preprocessing import to_tensor
from .feature_host import FeatureHost

FAST_METHODS = ("gradcam", "guided_backprop")
"""Methods computed on the kernel's thread (one backward pass each)."""


class AttributionFeature(FeatureHost):
    """Attribution overlay with a method picker and a class target (mixed into :class:`~cnnwidget.CNNExplorer`).

    The unit's own map is drawn by the front end from the grid; this adds the
    gradient-based view. Computed when a unit is selected while ``show_attribution``
    is on, when it is switched on, when the method or class changes, and for a new picture.
    """

    show_attribution = traitlets.Bool(False, help="Compute and overlay the attribution map of the target.").tag(sync=True)
    attribution = traitlets.Bytes(b"", help="Attribution map, uint8 (H, W), 255 = strongest evidence.").tag(sync=True)
    attribution_meta = traitlets.Dict(
        help="{unit: [layer, channel], method, label, class, height, width} for `attribution`."
    ).tag(sync=True)
    attribution_method = traitlets.Unicode(
        "gradcam", help="Attribution method: one of cnnwidget.engine.attribution.METHODS."
    ).tag(sync=True)
    attribution_methods = traitlets.List(
        help="[{name, label, sane}]: the methods, and whether each passes the model-randomization sanity check."
    ).tag(sync=True)
    attribution_class = traitlets.Int(-1, help="-1: explain the selected unit; k >= 0: explain class k.").tag(sync=True)
    attribution_state = traitlets.Dict(
        help="{status: idle|running|done|cancelled|error, method, done, total} of the latest attribution."
    ).tag(sync=True)

    def _init_attribution(self) -> None:
        self.attribution_methods = [{"name": m, "label": METHOD_LABELS[m], "sane": SANITY[m]} for m in METHODS]
        self.attribution_state = {"status": "idle", "method": self.attribution_method, "done": 0, "total": 0}
        self._attribution_runner = self._jobs.runner(on_error=self._attribution_failed)
        self.on_select(lambda unit: self._refresh_attribution())

    @traitlets.validate("attribution_method")
    def _attribution_valid_method(self, proposal) -> str:
        return method_name(proposal["value"])  # raises naming the methods

    @traitlets.observe("show_attribution", "attribution_method", "attribution_class")
    def _attribution_choice_changed(self, change) -> None:
        self._refresh_attribution()

    def attribution_map(self, unit=None, *, method: str | None = None, target=None) -> np.ndarray:
        """The attribution map of ``target`` (a class index or a ``(layer, channel)`` unit; default:
        ``unit``, else the widget's choice) for the current picture, ``float32 (H, W)`` in [0, 1].

        ``method`` defaults to ``attribution_method``. Runs on the calling thread.
        """
        if target is None:
            target = tuple(unit) if unit is not None else self._attribution_target()
        if target is None:
            raise ValueError("no unit selected and no class chosen: select a unit or set attribution_class")
        return self._attribution_compute(target, method or self.attribution_method)

    def _attribution_target(self):
        if self.attribution_class >= 0:
            return int(self.attribution_class)
        return tuple(self.selected) if len(self.selected) == 2 else None

    def _attribution_compute(self, target, method: str, cancel=None, callback=None) -> np.ndarray:
        pixels = to_tensor(self._pil)[None]
        normalize = pixel_normalizer(self._preprocess, self.model)
        return attribution_map(self.model, pixels, target, method, normalize=normalize, cancel=cancel, callback=callback)

    def _refresh_attribution(self) -> None:
        """Recompute the overlay for the current choice (the explorer calls this for a new picture)."""
        if not hasattr(self, "_attribution_runner"):  # not yet while the constructor sets the traits
            return
        if not self.show_attribution:
            self._attribution_runner.cancel()
            return
        target = self._attribution_target()
        if target is None or self._pil is None:
            return
        method = self.attribution_method
        meta = {"unit": list(self.selected), "method": method, "label": METHOD_LABELS[method],
                "class": int(target) if isinstance(target, int) else -1}
        if method in FAST_METHODS:
            self._attribution_runner.cancel()
            try:
                self._attribution_publish(self._attribution_compute(target, method), meta)
            except ValueError as err:
                self._show_error(err)
            return
        self.attribution_state = {"status": "running", "method": method, "done": 0, "total": 0}

        def progress(done: int, total: int) -> None:
            self.attribution_state = {"status": "running", "method": method, "done": done, "total": total}

        def work(job) -> None:
            try:
                cam = self._attribution_compute(target, method, cancel=job.cancel, callback=progress)
            except Cancelled:
                cam = None
            if cam is None or job.cancel.is_set():  # stopped (the map, if any, is for an old request)
                if self._attribution_runner.current is job and self.attribution_state.get("status") == "running":
                    self.attribution_state = {**self.attribution_state, "status": "cancelled"}
                return
            self._attribution_publish(cam, meta)

        self._attribution_runner.submit("attribution", work)

    def _attribution_publish(self, cam: np.ndarray, meta: dict) -> None:
        with self.hold_sync():
            self.attribution = (cam * 255).round().astype(np.uint8).tobytes()
            self.attribution_meta = {**meta, "height": int(cam.shape[0]), "width": int(cam.shape[1])}
            total = self.attribution_state.get("total", 0)
            self.attribution_state = {"status": "done", "method": meta["method"], "done": total, "total": total}

    def _attribution_failed(self, job, err: BaseException) -> None:
        self.attribution_state = {**self.attribution_state, "status": "error"}
        self._show_error(err)
