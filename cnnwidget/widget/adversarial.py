"""\"Make it say X\" in the widget: a targeted adversarial version of the current picture."""

from __future__ import annotations

import numbers

import traitlets

from . import protocol
from ..engine.adversarial import DEFAULT_EPS, DEFAULT_STEPS, Adversarial, adversarial
from ..engine.cancellable_forward import Cancelled
from ..engine.class_names import class_names
from ..engine.predictions import model_output
from .feature_host import FeatureHost
from .jobs import Job
from .options import Option, OptionSet

ADVERSARIAL_OPTIONS = OptionSet("adversarial", (
    Option("class", "other", 0, note="a class index of the model, drawn from `classes`"),
    Option("eps", "float", round(DEFAULT_EPS * 255), "budget /255", low=0, high=64, low_open=True, step=1,
           shown=(1, 64), note="the L-infinity budget in grey levels of 255"),
    Option("steps", "int", DEFAULT_STEPS, "steps at most", low=1, high=500),
), prefix="adversarial ")
"""The "make it say" options (the ``adversarial_options`` trait), declared once: the target class
(checked against the model's classes), the budget in grey levels of 255 and the PGD steps."""

class AdversarialFeature(FeatureHost):
    """Targeted PGD on the input picture (mixed into :class:`~cnnwidget.CNNExplorer`)."""

    adversarial_options = traitlets.Dict(
        ADVERSARIAL_OPTIONS.defaults(), help="{class, eps (grey levels of 255), steps}: the panel's choice and "
        "the defaults of `adversarial()`."
    ).tag(sync=True)
    classes = traitlets.List(traitlets.Unicode(), help="Every class name, by index ([] when the output is not class scores).").tag(sync=True)
    adversarial_state = traitlets.Dict(
        help="{status: idle|running|done|cancelled|error, target, eps, step, steps, reached, gain, predictions}."
    ).tag(sync=True)
    adversarial_image = traitlets.Bytes(b"", help="PNG of the perturbed picture.").tag(sync=True)
    adversarial_perturbation = traitlets.Bytes(b"", help="PNG of the perturbation, amplified by `adversarial_state.gain` around grey.").tag(sync=True)

    def _init_adversarial(self) -> None:
        self._adversarial_runner = self._jobs.runner(on_error=self._adversarial_failed)
        self._handlers[protocol.ADVERSARIAL] = self._adversarial_message
        self.adversarial_state = {"status": "idle"}
        self.adversarial_result: Adversarial | None = None
        try:
            scores = model_output(self.model, self._input, maps=False)[0]
        except ValueError:
            return
        self.classes = class_names(self.model, scores.numel())

    @traitlets.validate("adversarial_options")
    def _adversarial_valid_options(self, proposal) -> dict:
        return ADVERSARIAL_OPTIONS.check(proposal["value"])

    def _adversarial_message(self, message: protocol.Message) -> None:
        options = {key: message.content[key] for key in ("eps", "steps") if key in message.content}
        merged = ADVERSARIAL_OPTIONS.check({**self.adversarial_options, **options, "class": message.content["class"]})
        self.adversarial(merged["class"], eps=merged["eps"] / 255, steps=merged["steps"])

    def adversarial(self, target: int, *, eps: float | None = None, steps: int | None = None) -> Job:
        """Make the current picture say class ``target``: PGD within ``eps`` (L-infinity), in the background.

        ``eps`` is on [0, 1] pixels (default: ``adversarial_options["eps"]`` grey levels, 8/255);
        ``steps`` the PGD steps at most (default ``adversarial_options["steps"]``, 40). Their
        limits are :data:`ADVERSARIAL_OPTIONS`'s, the ones the browser's panel offers.
        The result streams to the widget's adversarial panel and lands in
        ``ex.adversarial_result`` (:class:`~cnnwidget.engine.adversarial.Adversarial`).
        Returns the background job (``job.wait()`` waits; ``ex.cancel()`` stops it within one step).
        """
        if not self.classes:
            raise ValueError("the model's output is not (N, classes) scores, so there is no class to aim for")
        if isinstance(target, bool) or not isinstance(target, numbers.Integral) or not 0 <= target < len(self.classes):
            raise ValueError(f"target class {target!r} is out of range: use 0..{len(self.classes) - 1}")
        target = int(target)
        levels = self.adversarial_options["eps"] if eps is None else round(float(eps) * 255, 6)
        steps = self.adversarial_options["steps"] if steps is None else steps
        ADVERSARIAL_OPTIONS.check({"class": target, "eps": levels, "steps": steps})
        eps = levels / 255
        target, picture = int(target), self._pil
        self.adversarial_state = {"status": "running", "target": target, "eps": levels, "step": 0, "steps": int(steps)}

        def progress(step: int, total: int) -> None:
            self.adversarial_state = {**self.adversarial_state, "step": step, "steps": total}

        def work(job: Job) -> None:
            try:
                result = adversarial(self.model, picture, target, eps=eps, steps=steps, preprocess=self._preprocess,
                                     cancel=job.cancel, callback=progress)
            except Cancelled:
                if self._adversarial_runner.current is job:  # a newer request reports for itself
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
