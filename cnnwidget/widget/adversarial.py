"""\"Make it say X\" in the widget: a targeted adversarial version of the current picture."""

from __future__ import annotations

import traitlets

from . import protocol
from ..engine.adversarial import DEFAULT_STEPS, Adversarial, adversarial
from ..engine.cancellable_forward import Cancelled
from ..engine.class_names import class_names
from ..engine.predictions import model_output
from .feature_host import FeatureHost
from .jobs import Job, JobRunner

MAX_EPS_LEVELS = 64
"""The largest budget the widget accepts, in grey levels of 255."""


class AdversarialFeature(FeatureHost):
    """Targeted PGD on the input picture (mixed into :class:`~cnnwidget.CNNExplorer`)."""

    classes = traitlets.List(traitlets.Unicode(), help="Every class name, by index ([] when the output is not class scores).").tag(sync=True)
    adversarial_state = traitlets.Dict(
        help="{status: idle|running|done|cancelled|error, target, eps, step, steps, reached, gain, predictions}."
    ).tag(sync=True)
    adversarial_image = traitlets.Bytes(b"", help="PNG of the perturbed picture.").tag(sync=True)
    adversarial_perturbation = traitlets.Bytes(b"", help="PNG of the perturbation, amplified by `adversarial_state.gain` around grey.").tag(sync=True)

    def _init_adversarial(self) -> None:
        self._adversarial_runner = JobRunner(on_error=self._adversarial_failed)
        self._handlers[protocol.ADVERSARIAL] = lambda m: self.adversarial(m.content["class"], eps=m.content["eps"] / 255)
        self.adversarial_state = {"status": "idle"}
        self.adversarial_result: Adversarial | None = None
        try:
            scores = model_output(self.model, self._input, maps=False)[0]
        except ValueError:
            return
        self.classes = class_names(self.model, scores.numel())

    def _close_adversarial(self) -> None:
        """Stop a running attack (within a second); the explorer's ``close`` calls this."""
        self._adversarial_runner.close(timeout=1.0)

    def adversarial(self, target: int, *, eps: float = 8 / 255, steps: int = DEFAULT_STEPS) -> Job:
        """Make the current picture say class ``target``: PGD within ``eps`` (L-infinity), in the background.

        The result streams to the widget's adversarial panel and lands in
        ``ex.adversarial_result`` (:class:`~cnnwidget.engine.adversarial.Adversarial`).
        Returns the background job (``job.wait()`` waits).
        """
        if not self.classes:
            raise ValueError("the model's output is not (N, classes) scores, so there is no class to aim for")
        if not 0 <= int(target) < len(self.classes):
            raise ValueError(f"target class {target} is out of range: use 0..{len(self.classes) - 1}")
        if not 0 < eps * 255 <= MAX_EPS_LEVELS + 1e-9:
            raise ValueError(f"the budget must be 1..{MAX_EPS_LEVELS} grey levels (eps in (0, {MAX_EPS_LEVELS}/255]); got {eps * 255:.3g}/255")
        target, picture = int(target), self._pil
        levels = round(eps * 255, 3)
        self.adversarial_state = {"status": "running", "target": target, "eps": levels, "step": 0, "steps": int(steps)}

        def progress(step: int, total: int) -> None:
            self.adversarial_state = {**self.adversarial_state, "step": step, "steps": total}

        def work(job: Job) -> None:
            try:
                result = adversarial(self.model, picture, target, eps=eps, steps=steps, preprocess=self._preprocess,
                                     cancel=job.cancel, callback=progress)
            except Cancelled:
                self.adversarial_state = {**self.adversarial_state, "status": "cancelled"}
                return
            self.adversarial_result = result
            amplified, gain = result.perturbation_image()
            with self.hold_sync():
                self.adversarial_image = protocol.encode_png(result.image)
                self.adversarial_perturbation = protocol.encode_png(amplified)
                self.adversarial_state = {
                    "status": "done", "target": target, "eps": levels, "step": result.steps, "steps": int(steps),
                    "reached": result.reached, "gain": round(gain, 3),
                    "max_change": round(float(result.perturbation.abs().max()) * 255, 3),
                    "predictions": [[p.index, p.name, p.probability] for p in result.predictions],
                }

        return self._adversarial_runner.submit("adversarial", work)

    def _adversarial_failed(self, job, err: BaseException) -> None:
        self.adversarial_state = {**self.adversarial_state, "status": "error"}
        self._show_error(err)
