"""What :class:`~cnnwidget.CNNExplorer` shares with its features, declared in one place.

Each feature (:mod:`.maximize.feature`, :mod:`.dream`, :mod:`.attribution`,
:mod:`.atlas_view`, :mod:`.live.feature`, :mod:`.predictions`, :mod:`.filters`,
:mod:`.adversarial`) is a mixin over :class:`FeatureHost`. A
feature may use the names declared here and its own: its traits and the private
names it defines, all prefixed with its name (``_maximize_*``, ``_dream_*``,
``_atlas_*``, ``_attribution_*``, ``_live_*``, ``_predictions_*``, ``_adversarial_*``, ...). No feature defines a name another
one defines, so none overrides another's method and the order of the explorer's
bases does not matter. ``tests/widget/test_feature_state.py`` checks both rules.
"""

from __future__ import annotations

import threading
from typing import Callable

import torch
import traitlets
from PIL import Image
from torch import nn

from .jobs import JobGroup, JobRunner
from .protocol import Message

PrecomputedMaximization = Callable[[object], "tuple[object, object, str] | None"]
"""``source(request) -> (request, result, origin)`` or ``None``: a finished maximization served
without running one (the atlas view registers one; ``origin`` goes into ``maximize_state["source"]``)."""


FrameListener = Callable[[torch.Tensor, bool, "torch.Tensor | None"], None]
"""``listener(x, camera, logits)``: told of each live frame (preprocessed, ``(1, 3, H, W)``) after its
answer went out, with the frame's ``(1, K)`` class scores when the live forward pass gave them (else ``None``)."""


class FeatureHost(traitlets.HasTraits):
    """The explorer's shared state and services, as its features see them (declarations only).

    :class:`~cnnwidget.CNNExplorer` sets every attribute in its constructor before it
    calls the features' ``_init_<feature>`` methods, and implements the methods.

    Attributes:
        model: the user's network (left exactly as found by every operation).
        _preprocess: the model's preprocessing (a :class:`~cnnwidget.Preprocess` or a callable).
        _input: the input picture as the model sees it, ``(1, 3, H, W)``.
        _pil: the input picture as shown (cropped, not normalized).
        _image_version: increases with every new input picture.
        _runner: the one background job at a time (a maximization or a dream); a new one cancels it.
        _jobs: every lane of background work (``_runner`` is one); a feature with long work of its own
            takes a lane with ``self._jobs.runner(on_error)``, so ``cancel()`` and ``close()`` reach it.
        _jobs_lock: guards the job-state traits (``maximize_state``, ``dream_state``) that job threads write.
        _handlers: browser message type -> handler; each feature registers its own.
        _precomputed_maximizations: sources of finished maximizations, asked before one is run.
        _frame_listeners: ``listener(x, camera, logits)`` is called after each live frame's answer went
            out, with the frame as the model saw it (``(1, 3, H, W)``, preprocessed), whether it came
            from the camera (``False``: fed from Python) and its ``(1, K)`` class scores when the live
            forward pass gave them (maps mode on a classifier), else ``None``; the predictions feature
            registers one.
        layer, selected, error: the explorer's traits (current layer, selected unit, message shown).
        on_select: ``on_select(callback)`` calls ``callback((layer, channel))`` on each selection.
        set_image: ``set_image(image, name)`` makes ``image`` the input picture.
        _show_error: ``_show_error(exception)`` shows it in the widget.
        _check_layer: ``_check_layer(name)`` returns the layer's ``LayerInfo`` or raises a named error.
        _show_input_notes: ``_show_input_notes(extra)`` shows how pictures are fitted to the model, plus ``extra``.
        send, hold_sync, comm: the widget's own (anywidget).
    """

    model: nn.Module
    _preprocess: object
    _input: torch.Tensor
    _pil: Image.Image
    _image_version: int
    _runner: JobRunner
    _jobs: JobGroup
    _jobs_lock: threading.RLock
    _handlers: dict[str, Callable[[Message], None]]
    _precomputed_maximizations: list[PrecomputedMaximization]
    _frame_listeners: list[FrameListener]
    layer: str
    selected: tuple
    error: str
    on_select: Callable[[Callable[[tuple], None]], None]
    set_image: Callable[..., None]
    _show_error: Callable[[BaseException], None]
    _check_layer: Callable[[str], object]
    _show_input_notes: Callable[..., None]
    send: Callable[..., None]
    hold_sync: Callable[[], object]
    comm: object
