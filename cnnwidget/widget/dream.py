"""DeepDream of the input picture, in the background (mixed into :class:`~cnnwidget.CNNExplorer`)."""

from __future__ import annotations

import traitlets
from PIL import Image

from . import protocol
from .feature_host import FeatureHost
from ..engine.deepdream import deepdream, octave_notes
from .jobs import Job
from .options import Option, OptionSet

DREAM_OPTIONS = OptionSet("dream", (
    Option("layers", "other", []),
    Option("octaves", "int", 3, "octaves", low=1, high=8),
    Option("steps", "int", 10, "steps / octave", low=1, high=200),
    Option("strength", "float", 0.02, "strength", low=0, high=1, low_open=True, step=0.005, shown=(0.001, 1)),
), prefix="dream ")
"""The widget's DeepDream options (the ``dream_options`` trait), declared once."""


def dream_settings(options: dict, current_layer: str) -> dict:
    """Check the widget's ``dream_options`` and turn them into :func:`deepdream` arguments."""
    merged = DREAM_OPTIONS.check(options)
    layers = merged["layers"] or [current_layer]
    if isinstance(layers, str):
        layers = [layers]
    if not all(isinstance(name, str) for name in layers):
        raise ValueError("dream layers must be a list of layer names")
    return {"layers": list(layers), "octaves": merged["octaves"], "steps": merged["steps"], "lr": float(merged["strength"])}


class DreamFeature(FeatureHost):
    """Traits, handler and Python API of the DeepDream panel."""

    dream_options = traitlets.Dict(
        DREAM_OPTIONS.defaults(), help="{layers (empty: the current layer), octaves, steps, strength}."
    ).tag(sync=True)
    dream_state = traitlets.Dict(help="{job, status, octave, octaves, layers}; status is running|done|cancelled|error.").tag(sync=True)
    dream_image = traitlets.Bytes(b"", help="PNG of the latest finished (or stopped) dream.").tag(sync=True)

    def _init_dream(self) -> None:
        self._dream_last_image: Image.Image | None = None
        self._handlers[protocol.DREAM] = lambda m: self.dream()

    @property
    def last_image(self) -> Image.Image | None:
        """The latest DeepDream result as a PIL image (``None`` before any)."""
        return self._dream_last_image

    def dream(self, **options) -> Job:
        """DeepDream the input picture in the background with ``dream_options`` (overridden by ``options``).

        Streams each octave to the widget; a newer job (a dream or a maximization)
        cancels it. Returns the background :class:`~cnnwidget.jobs.Job`.
        """
        settings = dream_settings({**self.dream_options, **options}, self.layer)
        for name in settings["layers"]:
            self._check_layer(name)
        image = self._pil
        return self._runner.submit("dream", lambda job: self._dream_run(job, image, settings))

    def _dream_run(self, job: Job, image: Image.Image, settings: dict) -> None:
        octaves = settings["octaves"]
        done = [0]
        self.dream_state = {"job": job.id, "status": "running", "octave": 0, "octaves": octaves, "layers": settings["layers"]}
        self._show_input_notes(octave_notes(self.model, image.height, image.width, octaves))

        def on_octave(step, picture, value):
            done[0] += 1
            if not job.cancel.is_set():
                self.send(
                    {"type": protocol.DREAM_PROGRESS, "job": job.id, "status": "running",
                     "octave": done[0], "octaves": octaves, "step": step, "value": value},
                    buffers=[protocol.encode_png(picture)],
                )

        result = deepdream(self.model, image, callback=on_octave, cancel=job.cancel, progress=False,
                           seed=0, preprocess=self._preprocess, **settings)
        status = "cancelled" if job.cancel.is_set() else "done"
        self._dream_last_image = result
        with self._jobs_lock, self.hold_sync():
            self.dream_image = protocol.encode_png(result)
            self.dream_state = {"job": job.id, "status": status, "octave": done[0], "octaves": octaves,
                                "layers": settings["layers"]}
