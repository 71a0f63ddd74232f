"""What the network decides about the current picture: the top-5 classes, kept up to date."""

from __future__ import annotations

import time

import traitlets

from .. import protocol
from ..engine.class_names import class_names
from ..engine.objective_plan import objective_plan
from ..engine.objectives import class_logit
from ..engine.predictions import model_output, top_predictions
from ..maximize_job import MaximizeRequest

TOP_K = 5
"""Rows in the predictions panel."""

LIVE_EVERY_S = 0.25
"""Live camera frames update the predictions at most this often (4 times a second)."""

CLASS_LAYER = "logits"
"""The pseudo-layer a class's maximization runs under (``"logits:k"`` is class ``k``)."""


class PredictionsFeature(traitlets.HasTraits):
    """Top-5 predictions of the input picture (mixed into :class:`~cnnwidget.CNNExplorer`).

    Recomputed whenever a new picture is set (``image`` changes), for frames fed
    from Python, and for live camera frames (at most 4 times a second). A model whose
    output is not ``(N, classes)`` scores (a feature extractor) shows no rows.
    """

    predictions = traitlets.List(
        help="Top-5 of the current picture: [(class index, name, probability), ...], best first; "
        "empty when the model's output is not class scores."
    ).tag(sync=True)

    def _init_predictions(self) -> None:
        self._handlers[protocol.MAXIMIZE_CLASS] = lambda m: self.maximize_class(m.content["class"])

    def maximize_class(self, k: int, **options):
        """Draw the picture of class ``k`` (its logit maximized) in the maximization panel.

        Streams like a unit's maximization; ``options`` override ``maximize_options``
        for this run. Returns the background job (``None`` when cached).
        """
        merged = {**self.maximize_options, **options, "mode": "channel"}
        request = MaximizeRequest.build(CLASS_LAYER, int(k), merged)
        objective_plan(self.model, [class_logit(int(k))], int(self._input.shape[-1]))  # names a bad class
        return self._start(request)

    @traitlets.observe("image")
    def _image_changed(self, change) -> None:
        self._refresh_predictions()

    def _refresh_predictions(self, x=None) -> None:
        """Rank the classes of ``x`` (a preprocessed batch of one; default: the input picture)."""
        x = getattr(self, "_input", None) if x is None else x
        if x is None:
            return
        try:
            scores = model_output(self.model, x, maps=False)[0]
        except ValueError:  # not a classifier: nothing to rank
            self.predictions = []
            return
        self.predictions = top_predictions(scores, class_names(self.model, scores.numel()), TOP_K)

    def _live_frame_predictions(self, x, *, camera: bool = True) -> None:
        """Called by the live feature after each frame's answer is sent: the frame's top-5.

        Camera frames are ranked at most every :data:`LIVE_EVERY_S` seconds (a full forward
        pass, where the live maps stop early); frames fed from Python always are.
        """
        if not self.predictions:  # only for a classifier (the input picture had class scores)
            return
        now = time.monotonic()
        if camera and now - getattr(self, "_live_ranked_at", 0.0) < LIVE_EVERY_S:
            return
        self._live_ranked_at = now
        self._refresh_predictions(x)
