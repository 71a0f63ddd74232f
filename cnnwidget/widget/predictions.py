"""What the network decides about the current picture: the top-5 classes, kept up to date."""

from __future__ import annotations

import time

import traitlets

from .feature_host import FeatureHost
from ..engine.class_names import class_names
from ..engine.predictions import Prediction, model_output, top_predictions

TOP_K = 5
"""Rows in the predictions panel."""

LIVE_DIGITS = 3
"""Live camera frames' probabilities are rounded to this many digits, the panel's 0.1 %."""

LIVE_EVERY_S = 0.25
"""Live camera frames without class scores of their own (live DeepDream, whose forward pass stops at
the dreamed layer) update the predictions at most this often (4 times a second)."""


class PredictionsFeature(FeatureHost):
    """Top-5 predictions of the input picture (mixed into :class:`~cnnwidget.CNNExplorer`).

    Recomputed whenever a new picture is set (``image`` changes), for frames fed from Python,
    and for every live camera frame in maps mode: the live forward pass gives the class scores
    along with the maps (the int8 copy runs the whole network, ``live/int8_copies.py``), so
    ranking them costs no extra pass. In dream mode camera frames are ranked at most every
    :data:`LIVE_EVERY_S` seconds (a pass of their own). A model whose
    output is not ``(N, classes)`` scores (a feature extractor) shows no rows. A click
    on a row draws that class (``maximize_class``, the maximization feature's).
    """

    predictions = traitlets.List(
        help="Top-5 of the current picture: [(class index, name, probability), ...], best first; "
        "empty when the model's output is not class scores."
    ).tag(sync=True)

    def _init_predictions(self) -> None:
        self._predictions_ranked_at = 0.0
        self._frame_listeners.append(self._predictions_for_live_frame)

    @traitlets.observe("image")
    def _predictions_image_changed(self, change) -> None:
        self._predictions_refresh()

    def _predictions_refresh(self, x=None) -> None:
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

    def _predictions_for_live_frame(self, x, camera: bool, logits=None) -> None:
        """Told by the live feature after each frame's answer is sent: the frame's top-5.

        ``logits`` (the frame's ``(1, K)`` scores from the live pass) are ranked as they come.
        Without them, camera frames are ranked at most every :data:`LIVE_EVERY_S` seconds (a
        full forward pass of their own); frames fed from Python always are.
        """
        if not self.predictions:  # only for a classifier (the input picture had class scores)
            return
        now = time.monotonic()
        if logits is not None:
            self._predictions_ranked_at = now
            rows = top_predictions(logits[0], class_names(self.model, logits.shape[-1]), TOP_K)
            # to the panel's 0.1 %: a frame that changes nothing shown sends nothing (an equal list is not synced)
            self.predictions = [Prediction(r.index, r.name, round(r.probability, LIVE_DIGITS)) for r in rows]
            return
        if camera and now - self._predictions_ranked_at < LIVE_EVERY_S:
            return
        self._predictions_ranked_at = now
        self._predictions_refresh(x)
