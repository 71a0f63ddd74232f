"""``CNNExplorer``: the widget, a thin hall between the engine and the front end.

It holds UI state in traitlets (so a reloaded page or a second view shows the
same thing), turns the engine's arrays into the protocol's binary payloads, and
turns browser messages into engine calls. It computes nothing itself.
"""

from __future__ import annotations

import pathlib
import threading
from typing import Callable

import anywidget
import traitlets
from torch import nn

from . import protocol
from ..engine import LayerError, activations_for_tensor, default_layer, find_layer, layers, load_image
from ..engine.layer_catalog import input_for
from ..engine.images import ImageError, decode_image
from ..engine.preprocessing import display_crop, input_tensor, resolve_preprocess
from ..data.samples import default_image, sample_path, samples
from .adversarial import ADVERSARIAL_OPTIONS, AdversarialFeature
from .atlas_view import AtlasFeature
from .attribution import AttributionFeature
from .dream import DREAM_OPTIONS, DreamFeature
from .examples import ExamplesFeature
from .filters import FiltersFeature
from .live.feature import LIVE_OPTIONS, LiveFeature
from .maximize.feature import MaximizeFeature
from .predictions import PredictionsFeature
from .maximize.request import MAXIMIZE_OPTIONS
from .jobs import Job, JobGroup
from .transport import TransportFeature

STATIC = pathlib.Path(__file__).parent.parent / "static"

JOB_KINDS = ("maximize", "dream", "attribution", "adversarial")
"""The kinds of background job :meth:`CNNExplorer.cancel` can stop one at a time."""


class CNNExplorer(
    TransportFeature, MaximizeFeature, DreamFeature, AttributionFeature, AtlasFeature, ExamplesFeature, LiveFeature,
    PredictionsFeature, FiltersFeature, AdversarialFeature, anywidget.AnyWidget,
):
    """Interactive activation explorer for a PyTorch CNN.

    Args:
        model: an ``nn.Module`` taking ``(N, 3, H, W)`` images, or a model spec
            accepted by :func:`cnnwidget.load_model` (``"resnet18"``,
            ``"timm:NAME"``, ``"default"``, ``"pkg.mod:attr"``, a ``.pt`` file).
        image: the input picture (PIL image, path, array or tensor); a bundled
            sample photo when omitted.
        layer: the layer to show first; a mid-network stage when omitted.
        preprocess: a callable, a torchvision ``Weights`` object, or ``None``
            for the model's own preprocessing (ImageNet 224 px by default).
        atlas: a directory made by :func:`cnnwidget.build_atlas`: its pictures show on hover
            and, on click, at once instead of a live maximization.
        examples: a directory (or :class:`~cnnwidget.ExampleIndex`) made by
            :func:`cnnwidget.dataset_examples`: the selected unit's top crops show beside it.

    Example:
        >>> ex = CNNExplorer(torchvision.models.resnet18())   # doctest: +SKIP
        >>> ex.layer = "layer2"; ex.selected = ("layer2", 5)  # doctest: +SKIP
    """

    _esm = STATIC / "index.js"

    layers = traitlets.List(help="Layers with image-like outputs: {name, type, shape, stage}.").tag(sync=True)
    layer = traitlets.Unicode("", help="Name of the layer whose activation grid is shown.").tag(sync=True)
    selected = traitlets.Tuple((), help="Selected unit as (layer, channel), or () for none.").tag(sync=True)
    normalization = traitlets.Unicode("channel", help="'channel' (each tile its own scale) or 'layer' (one scale).").tag(sync=True)
    colormap = traitlets.Unicode("viridis", help="Colormap: 'viridis', 'magma', 'gray' or 'coolwarm'.").tag(sync=True)
    sort = traitlets.Unicode("index", help="Tile order: 'index', 'max' or 'mean'.").tag(sync=True)
    grid = traitlets.Bytes(b"", help="Current layer's activations, binary grid layout (docs/protocol.md).").tag(sync=True)
    grid_meta = traitlets.Dict(help="{layer, channels, height, width, version} describing `grid`.").tag(sync=True)
    image = traitlets.Bytes(b"", help="JPEG of the input picture as the model sees it.").tag(sync=True)
    image_name = traitlets.Unicode("", help="Name of the input picture.").tag(sync=True)
    samples = traitlets.List(traitlets.Unicode(), help="Names of the bundled sample photos.").tag(sync=True)
    error = traitlets.Unicode("", help="Last error message shown in the widget ('' when none).").tag(sync=True)
    input_notes = traitlets.List(
        traitlets.Unicode(),
        help="How pictures are fitted to the model (resized to its fixed size, upsampled to its minimum, "
             "channels adapted), in words; empty when they go in as they are.",
    ).tag(sync=True)
    option_specs = traitlets.Dict(
        {s.name: s.describe() for s in (MAXIMIZE_OPTIONS, DREAM_OPTIONS, LIVE_OPTIONS, ADVERSARIAL_OPTIONS)}, read_only=True,
        help="{maximize, dream, live, adversarial}: each panel's options (key, kind, default, label, min, max, step, choices, "
        "when), declared once in Python; the browser draws the option panels from them.",
    ).tag(sync=True)

    def __init__(self, model, image=None, layer: str | None = None, preprocess=None, atlas=None, examples=None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.model = _as_model(model)
        self._preprocess = resolve_preprocess(preprocess, self.model)
        self._input = None
        self._pil = None
        self._version = 0
        self._image_version = 0
        self._select_callbacks: list[Callable] = []
        self._handlers = {
            protocol.UPLOAD: self._on_upload, protocol.SAMPLE: self._on_sample, protocol.CANCEL: lambda m: self.cancel(m.content.get("job")),
        }
        self._jobs = JobGroup()
        self._runner = self._jobs.runner(on_error=self._job_failed)
        self._jobs_lock = threading.RLock()
        self._precomputed_maximizations = []
        self._frame_listeners = []
        self._init_maximize()
        self._init_attribution()
        self._init_predictions()
        self._init_live()
        self._init_dream()
        self._init_atlas(atlas)
        self._init_transport()
        self._init_examples(examples)
        self.samples = list(samples())
        self.on_msg(self._on_browser_message)
        self._set_image(image if image is not None else default_image(), name=_name_of(image))
        catalog = layers(self.model, tuple(self._input.shape[-2:]))
        if not catalog:
            raise ValueError("this model has no layer with an image-like (N, C, H, W) output to show")
        self.layers = [
            {"name": i.name, "type": i.type, "shape": list(i.shape), "stage": i.stage} for i in catalog
        ]
        self._init_filters(int(self._input.shape[-1]))
        self._init_adversarial()
        chosen = layer or default_layer(catalog)
        self._check_layer(chosen)  # raise a named error early
        self.layer = chosen

    # ----- public API ---------------------------------------------------------------------------

    def set_image(self, image, name: str | None = None) -> None:
        """Use ``image`` (PIL image, path, array, tensor or file bytes) as the input picture."""
        self._set_image(image, name=name or _name_of(image))
        self._refresh_grid()
        self._refresh_attribution()

    @property
    def input_image(self):
        """The input picture as the model sees it (cropped, before normalization), as PIL."""
        return self._pil

    @property
    def current_activations(self):
        """Activations of the current layer for the current image, ``float32 (C, H, W)``."""
        return activations_for_tensor(self.model, self._input, self.layer)

    def cancel(self, kind: str | None = None) -> list[Job]:
        """Stop the running background work; each job ends within one step of its own.

        Reaches every kind of job: a maximization or a dream, an attribution
        (Integrated Gradients, Occlusion) and an adversarial attack; ``kind``
        (``"maximize"``, ``"dream"``, ``"attribution"``, ``"adversarial"``) stops only that
        kind. The model is left as found. Returns the jobs asked to stop.
        """
        if kind is not None and kind not in JOB_KINDS:
            raise ValueError(f"unknown job kind {kind!r}; choose one of {', '.join(JOB_KINDS)} (or none for all)")
        return self._jobs.cancel(kind)

    def close(self) -> None:
        """Stop background work (within a second) and close the widget."""
        self._jobs.close(timeout=1.0)
        self._close_live()
        super().close()

    def on_select(self, callback: Callable[[tuple], None]) -> None:
        """Call ``callback((layer, channel))`` whenever a unit is selected (in the browser or in code)."""
        self._select_callbacks.append(callback)

    # ----- trait reactions ----------------------------------------------------------------------

    @traitlets.observe("layer")
    def _layer_changed(self, change) -> None:
        try:
            self._check_layer(change["new"])
        except LayerError as err:
            if change["old"]:
                self.layer = change["old"]
            self.error = str(err)
            return
        self._refresh_grid()

    @traitlets.validate("selected")
    def _valid_selection(self, proposal):
        value = tuple(proposal["value"])
        if not value:
            return ()
        if len(value) != 2 or not isinstance(value[0], str) or not isinstance(value[1], int):
            raise traitlets.TraitError("selected must be (layer, channel), e.g. ('layer3', 5)")
        info = self._check_layer(value[0])
        if not 0 <= value[1] < info.channels:
            raise traitlets.TraitError(
                f"channel {value[1]} is out of range for {value[0]!r}: choose 0..{info.channels - 1}"
            )
        return value

    @traitlets.observe("selected")
    def _selection_changed(self, change) -> None:
        if change["new"]:
            for callback in list(self._select_callbacks):
                callback(change["new"])

    # ----- browser messages ---------------------------------------------------------------------

    def _on_browser_message(self, _widget, content, buffers) -> None:
        try:
            message = protocol.parse_browser_message(content, buffers)
            self._handlers[message.type](message)
        except Exception as err:  # never let a browser message crash the kernel
            self._show_error(err)

    def _show_error(self, err: BaseException) -> None:
        """Show ``err`` in the widget: its own text for the errors that name a fix."""
        if isinstance(err, (protocol.ProtocolError, ImageError, LayerError, ValueError, TypeError, KeyError, traitlets.TraitError)):
            self.error = str(err)
        else:
            self.error = f"unexpected error: {err.__class__.__name__}: {err}"

    def _check_layer(self, name: str):
        """The :class:`LayerInfo` of ``name`` at this explorer's input size (a named error otherwise)."""
        return find_layer(self.model, name, tuple(self._input.shape[-2:]))

    def _job_failed(self, job, err: BaseException) -> None:
        state_trait = "dream_state" if job.kind == "dream" else "maximize_state"
        with self._jobs_lock:
            setattr(self, state_trait, {**getattr(self, state_trait), "status": "error", "job": job.id})
        self.error = f"{job.kind} failed: {err}"

    def _on_upload(self, message: protocol.Message) -> None:
        name = message.content["name"]
        self.set_image(decode_image(message.buffers[0], repr(name)), name=name)

    def _on_sample(self, message: protocol.Message) -> None:
        name = message.content["name"]
        self.set_image(sample_path(name), name=name)

    # ----- internals ----------------------------------------------------------------------------

    def _set_image(self, image, name: str) -> None:
        pil = load_image(image)
        tensor = input_tensor(pil, self._preprocess)
        self._pil = display_crop(pil, self._preprocess)
        self._input = tensor
        self._image_version += 1
        self.image = protocol.encode_jpeg(self._pil)
        self.image_name = name
        self.error = ""
        self._show_input_notes()

    def _show_input_notes(self, extra=()) -> None:
        """Show how the picture (and ``extra`` notes: a maximization's or a dream's) is fitted to the model."""
        own = input_for(self.model, tuple(self._input.shape[-2:])).notes
        self.input_notes = list(dict.fromkeys([*own, *extra]))

    def _refresh_grid(self) -> None:
        if not self.layer or self._input is None:
            return
        acts = activations_for_tensor(self.model, self._input, self.layer)
        payload, shape = protocol.encode_grid(acts)
        self._version += 1
        with self.hold_sync():
            self.grid = payload
            self.grid_meta = {"layer": self.layer, "version": self._version, **shape}
            self.error = ""


def _as_model(model) -> nn.Module:
    if isinstance(model, nn.Module):
        return model
    if isinstance(model, (str, pathlib.Path)):
        from ..models import load_model

        return load_model(str(model))
    raise TypeError(
        f"CNNExplorer needs a torch.nn.Module or a model spec such as 'resnet18'; got {type(model).__name__}"
    )


def _name_of(image) -> str:
    if isinstance(image, (str, pathlib.Path)):
        return pathlib.Path(image).name
    return "sample" if image is None else type(image).__name__
