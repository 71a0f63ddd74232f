"""Live camera frames in, activation maps or dreams out (mixed into :class:`~cnnwidget.CNNExplorer`)."""

from __future__ import annotations

import time
from collections import OrderedDict
from concurrent.futures import wait
from typing import Callable

import numpy as np
import torch
import traitlets
from PIL import Image

from .. import protocol
from ..feature_host import FeatureHost
from ...engine.activations import layer_outputs
from ...engine.layer_catalog import input_for
from ...engine.live_dream import FrameDreamer
from ...engine.placement import model_device
from ...engine.predictions import class_scores
from ...engine.preprocessing import Preprocess, input_tensor
from ...engine.receptive_field import receptive_field
from ...engine.top_crops import TopCrops
from .adaptive_size import AdaptiveSide
from .int8_copies import Int8Copies
from .live_precision import LIVE_PRECISIONS, float_precision, maps_precision
from .stats import LiveStats
from .worker import LiveWorker, default_threads
from ..option_checks import check_whole_numbers
from ..options import Option, OptionSet
from .quiet_frames import idle_after, quiet_frames, release

TOP_CROPS_EVERY_S = 0.5
"""The strip of top crops is re-sent at most this often."""

RECENT_FRAMES = 16
"""Frames kept by id, so that ``freeze`` can take the one the browser shows while newer ones are in
flight (the browser keeps at most 4 in flight, ``js/livePanel.ts``)."""

DREAM_BUDGET_MS = 140.0
"""Kernel time per dreamed frame the adaptive side aims at in dream mode: 5 fps and more with room
for the browser (which decodes and draws a JPEG per dreamed frame)."""

LIVE_CAPTURES = ("auto", "video")
"""Where the browser takes camera frames from: 'auto' straight from the camera track as they are captured
where the browser can (Chromium's MediaStreamTrackProcessor), else from the playing video; 'video' always
from the playing video (its frames reach the page one display frame later)."""

HOLD_IDLE = False
"""Whether frame handlers return at once and hold the kernel's idle status until the answer is out
(``quiet_frames.idle_after``) instead of waiting for the answer. Measured A/B at 50 ms round trip
(``benchmarks/bench_live.py --levers --only handler``): p50 latency 98.8 ms waiting against 108.8 ms
holding (and 112–115 against 124–129 ms before the server extension), so handlers wait."""

HANDLER_WAIT_S = 1.0
"""How long a frame message's handler waits for the answer to go out (see ``_live_on_frame``)."""

LIVE_OPTIONS = OptionSet("live", (
    Option("dream_steps", "int", 2, "dream steps / frame", low=1, high=50, when="live_mode=dream"),
    Option("dream_lr", "float", 0.03, "dream strength", low=0, high=1, low_open=True, step=0.005, shown=(0.005, 0.2),
           when="live_mode=dream"),
    Option("carry", "float", 0.7, "carry-over", low=0, high=1, high_open=True, step=0.05, when="live_mode=dream",
           note="the previous dream's weight"),
    Option("top_k", "int", 9, "top crops", low=1, high=64),
    Option("precision", "other", "auto"),
    Option("threads", "other", "auto"),
    Option("size", "other", "auto"),
    Option("capture", "other", "auto"),
    Option("frame_format", "other", "rgba"),
), prefix="live_options ")
"""The widget's live options (the ``live_options`` trait), declared once."""


class LiveFeature(FeatureHost):
    """Traits, handlers and Python API of live mode."""

    live_mode = traitlets.Unicode("maps", help="'maps' (activation grid per frame) or 'dream' (live DeepDream).").tag(sync=True)
    live_options = traitlets.Dict(
        LIVE_OPTIONS.defaults(),
        help="dream_steps (gradient steps per dreamed frame), dream_lr (step size), carry (weight of the "
        "previous dream, 0..<1), top_k (top crops kept), precision ('auto': live maps in int8 on CPUs with "
        "AVX2 or AVX-512 (an int8 copy of the model, built in the background), else bfloat16 where the CPU/GPU "
        "has it natively, else 'float32'; dreams never run in int8; or 'float32' / 'bfloat16' / 'int8'), threads (torch threads of the live "
        "thread: 'auto' is 1 on machines with up to 4 cores, where the browser needs the others), capture ('auto': frames straight from the camera track where the browser "
        "can, else from the playing video; 'video': always from the video), frame_format (how frames travel to the "
        "kernel: raw 'rgba', 173 KB at 208 px, or 'jpeg', about 11 KB: for links of limited bandwidth, at the cost "
        "of the browser's encoding time, ~15 ms on a busy page), size (side in "
        "px of the frames: 'auto' adapts it to the kernel's time per frame, from the model's input "
        "size down to 96 px, aiming at ~25 ms a frame for maps and ~140 ms for dreams; or a fixed side, 16..1024).",
    ).tag(sync=True)
    top_crops = traitlets.Bytes(b"", help="JPEG strip of the selected unit's top-K crops seen so far, strongest first.").tag(sync=True)
    top_crops_meta = traitlets.Dict(help="{unit, values, tile} describing `top_crops`.").tag(sync=True)
    input_size = traitlets.Int(224, help="Side in px of the square frames the browser sends (the model's input size).").tag(sync=True)

    @traitlets.validate("live_options")
    def _valid_live_options(self, proposal) -> dict:
        opts = LIVE_OPTIONS.check(proposal["value"])
        if opts["precision"] not in LIVE_PRECISIONS:
            raise ValueError(f"live_options precision must be one of {LIVE_PRECISIONS}; got {opts['precision']!r}")
        if opts["threads"] != "auto":
            check_whole_numbers(opts, {"threads": (1, 256)}, "live_options ")
        if opts["size"] != "auto":
            check_whole_numbers(opts, {"size": (16, protocol.MAX_FRAME_SIDE)}, "live_options ")
        if opts["frame_format"] not in protocol.FRAME_FORMATS:
            raise ValueError(f"live_options frame_format must be one of {protocol.FRAME_FORMATS}; got {opts['frame_format']!r}")
        if opts["capture"] not in LIVE_CAPTURES:
            raise ValueError(f"live_options capture must be one of {LIVE_CAPTURES}; got {opts['capture']!r}")
        return opts

    @traitlets.observe("live_options")
    def _live_options_changed(self, change) -> None:
        if hasattr(self, "_live_worker"):  # not yet while the constructor sets the traits
            self._live_worker.set_threads(self._live_threads())

    def _live_threads(self) -> int:
        threads = self.live_options["threads"]
        return default_threads() if threads == "auto" else threads

    def _init_live(self) -> None:
        self._live_figures = LiveStats()
        self._live_last_run: dict = {}
        self._live_dreamer: FrameDreamer | None = None
        self._live_dreamer_key: tuple = ()
        self._live_tracker: TopCrops | None = None
        self._live_last_frame: np.ndarray | None = None
        self._live_recent: OrderedDict[int, np.ndarray] = OrderedDict()
        self._live_crops_sent = 0.0
        self.input_size = self._preprocess.size if isinstance(self._preprocess, Preprocess) else 224
        self._live_side = AdaptiveSide(self.input_size)
        self._live_dream_side = AdaptiveSide(self.input_size, budget_ms=DREAM_BUDGET_MS, start=self.input_size)
        self._live_int8 = Int8Copies(self.model, self._live_calibration)
        self._live_worker = LiveWorker(on_error=self._show_error, threads=self._live_threads())
        self._handlers[protocol.FRAME] = self._live_on_frame
        self._handlers[protocol.FREEZE] = lambda m: self._live_worker.submit(lambda: self._live_freeze(m.content.get("id")))
        self._handlers[protocol.LIVE_STOP] = lambda m: self._live_worker.submit(self._reset_live)
        self.on_select(lambda unit: self._live_reset_tracker())
        comm = getattr(self, "comm", None)
        if comm is not None:
            quiet_frames(comm.comm_id)  # no busy/idle flicker in the notebook per frame

    def _close_live(self) -> None:
        self._live_worker.close(timeout=1.0)
        comm = getattr(self, "comm", None)
        if comm is not None:
            release(comm.comm_id)

    # ----- public API ---------------------------------------------------------------------------

    @property
    def live_stats(self) -> dict:
        """``{frames, fps, kernel_ms_p50, latency_ms_p50}`` of the live stream (see :class:`LiveStats`)."""
        return self._live_figures.snapshot()

    def feed(self, frame, *, bgr: bool = False) -> dict:
        """Process one frame from Python (e.g. OpenCV's ``VideoCapture.read()``), as the webcam would.

        Args:
            frame: ``(H, W, 3)`` uint8 array (or anything :func:`cnnwidget.load_image` reads).
            bgr: the array is in OpenCV's BGR order.

        Returns:
            ``{"activations": (C, h, w) float32}`` in maps mode, ``{"dream": (H, W, 3) uint8}``
            in dream mode; the widget shows the frame and its result.
        """
        if bgr and isinstance(frame, np.ndarray):
            frame = np.ascontiguousarray(frame[..., ::-1])
        from ...engine.images import load_image

        pil = load_image(frame)
        rgb = np.asarray(self._live_crop(pil))
        job = self._live_worker.submit(lambda: self._live_process(rgb, frame_id=-1, t=0.0, latency=None, echo_frame=True))
        if job.cancelled():
            raise RuntimeError("this explorer is closed: make a new CNNExplorer to feed frames")
        return job.result()

    def freeze(self) -> None:
        """Make the last live frame the explorer's input image (then click a unit to maximize it)."""
        if self._live_last_frame is None:
            raise ValueError("no live frame yet: start the webcam (or call feed) before freezing")
        self.set_image(Image.fromarray(self._live_last_frame), name="frozen frame")

    # ----- internals ----------------------------------------------------------------------------

    def _live_freeze(self, frame_id) -> None:
        """Freeze the browser's frame ``frame_id`` (the one on its screen), else the last frame."""
        rgb = self._live_recent.get(frame_id) if isinstance(frame_id, int) and not isinstance(frame_id, bool) else None
        if rgb is None:
            return self.freeze()
        self.set_image(Image.fromarray(rgb), name="frozen frame")

    def _live_on_frame(self, message: protocol.Message) -> None:
        c = message.content
        rgb = protocol.frame_pixels(message)
        latency = c.get("latency_ms")
        arrived = time.perf_counter()
        job = self._live_worker.submit(
            lambda: self._live_process(rgb, frame_id=c["id"], t=c.get("t", 0.0),
                                       latency=latency if isinstance(latency, (int, float)) else None, arrived=arrived),
            frame=True,
        )
        # The answer must leave before the kernel's "idle" status for this message (the other order
        # costs up to 40 ms a frame where the server keeps Nagle's algorithm on, quiet_frames.py):
        # the handler waits for it (or, with HOLD_IDLE, returns at once and the idle waits for the
        # job). A slow frame (> HANDLER_WAIT_S) is left to finish on its own.
        if not (HOLD_IDLE and idle_after(job)):
            wait([job], timeout=HANDLER_WAIT_S)

    def _live_process(self, rgb: np.ndarray, *, frame_id: int, t: float, latency, echo_frame: bool = False,
                      arrived: float | None = None) -> dict:
        start = time.perf_counter()
        queue_ms = (start - arrived) * 1000 if arrived is not None else None
        self._live_last_frame = rgb
        if frame_id >= 0:
            self._live_recent[frame_id] = rgb
            while len(self._live_recent) > RECENT_FRAMES:
                self._live_recent.popitem(last=False)
        content = {"type": protocol.LIVE_RESULT, "id": frame_id, "t": t, "mode": self.live_mode, "layer": self.layer}
        buffers: list[bytes] = []
        x = acts = None
        logits_later = None
        if self.live_mode == "dream":
            self._live_note_size(tuple(rgb.shape[:2]))
            dreamer = self._live_dreamer_for()
            dreamed = dreamer(rgb)
            content["precision"] = dreamer.precision
            result = {"dream": dreamed}
            buffers.append(protocol.encode_jpeg(Image.fromarray(dreamed), quality=85))
        else:
            x = self._live_tensor(rgb)
            self._live_note_size(tuple(x.shape[-2:]))
            acts, logits_later, content["precision"] = self._live_maps(x, want_logits=bool(getattr(self, "predictions", None)))
            payload, shape = protocol.encode_grid(acts)
            content.update(shape)
            buffers.append(payload)
            result = {"activations": acts}
        content["size"] = self._live_wanted_side()
        if echo_frame:
            content["frame_included"] = True
            buffers.append(protocol.encode_jpeg(Image.fromarray(rgb), quality=85))
        kernel_ms = (time.perf_counter() - start) * 1000  # the part of the frame's latency spent here
        self._live_last_run = {"precision": content.get("precision"), "side": int(rgb.shape[0])}  # benchmarks read it
        content["kernel_ms"] = round(kernel_ms, 2)
        if queue_ms is not None:
            content["queue_ms"] = round(queue_ms, 2)  # waited in the kernel behind the frame before
        content["stats"] = self._live_figures.snapshot()
        self.send(content, buffers=buffers)
        # After the answer, which must not wait for them: the class scores (the rest of the network,
        # when the int8 copy computes the maps first), the top crops and the frame listeners.
        if x is not None:
            logits = self._live_logits(logits_later)
            self._live_offer_crop(rgb, acts)
            for listener in list(self._frame_listeners):
                listener(x, frame_id >= 0, logits)
        work_ms = (time.perf_counter() - start) * 1000  # what the frame cost this thread: the rate's limit
        self._live_note_work(rgb, work_ms, echo_frame)
        self._live_figures.record(kernel_ms, latency, queue_ms, work_ms)
        return result

    def _live_logits(self, later) -> torch.Tensor | None:
        """The class scores from ``later()`` (see :meth:`_live_maps`); None when they fail (the int8
        copy is then refused for good, as for failing maps)."""
        if later is None:
            return None
        try:
            return later()
        except Exception as err:
            self._live_int8.refuse(self.layer, True, err)
            return None

    def _live_maps(self, x: torch.Tensor, want_logits: bool) -> tuple[np.ndarray, Callable[[], torch.Tensor | None], str]:
        """The layer's maps ``(C, H, W)`` for the frame ``x``; a function giving its class scores
        ``(1, K)`` when ``want_logits`` (else None: one forward pass gives both in floating point;
        the int8 copy runs the rest of the network only when the function is called, after the
        answer went out); and the precision used, as the HUD shows it: ``"int8"``, or a float
        precision with the int8 copy's state when int8 was wanted."""
        option = self.live_options["precision"]
        device = model_device(self.model)
        chosen = maps_precision(option, device)
        shown = chosen
        if chosen == "int8":
            info = self._check_layer(self.layer)
            if info.layout != "nchw" or info.calls != 1:  # the copy ends at the module's one (N, C, H, W) output
                front, state = None, f"unavailable: a {info.layout} layer run {info.calls} time(s)"
            else:
                front, state = self._live_int8.get(self.layer, want_logits)
            if front is not None:
                try:
                    maps, later = front.maps_first(x)
                    return maps[0].contiguous().numpy(), later, "int8"
                except Exception as err:  # e.g. a frame side the copy's kernels refuse: float from now on
                    state = "unavailable: " + self._live_int8.refuse(self.layer, want_logits, err)
            chosen = float_precision(option, device)
            shown = f"{chosen} (int8 {state})"
        names = [self.layer, ""] if want_logits else [self.layer]
        outputs = layer_outputs(self.model, x, names, precision=chosen)
        logits = None
        if want_logits:
            try:
                logits = class_scores(outputs[""], maps=False)
            except ValueError:
                pass
        return outputs[self.layer][0].float().cpu().numpy(), (lambda: logits) if want_logits else None, shown

    def _live_calibration(self) -> list[torch.Tensor]:
        """The bundled sample photos as the model sees live frames: int8 calibration pictures."""
        from ...data.samples import samples

        return [self._live_tensor(np.asarray(self._live_crop(Image.open(path).convert("RGB"))))
                for path in samples().values()]

    def _live_adaptive_side(self) -> AdaptiveSide:
        """The adaptive side of the current mode: maps aim at ``BUDGET_MS`` per frame, dreams
        (starting from the model's input size) at :data:`DREAM_BUDGET_MS` (``adaptive_size.py``)."""
        return self._live_dream_side if self.live_mode == "dream" else self._live_side

    def _live_wanted_side(self) -> int:
        """The side the browser should send its next frames at: the fixed ``live_options["size"]``,
        else the adaptive side of the mode."""
        fixed = self.live_options["size"]
        return int(fixed) if fixed != "auto" else self._live_adaptive_side().side

    def _live_note_work(self, rgb: np.ndarray, work_ms: float, fed: bool) -> None:
        """Tell the adaptive side that a square camera frame of ``rgb``'s side cost this thread
        ``work_ms`` (everything done for it, the answer and what follows it)."""
        if fed or rgb.shape[0] != rgb.shape[1] or self.live_options["size"] != "auto":
            return
        self._live_adaptive_side().record(rgb.shape[0], work_ms)

    def _live_crop(self, pil: Image.Image) -> Image.Image:
        size = self._preprocess.size if isinstance(self._preprocess, Preprocess) else 224
        return Preprocess(size=size).crop(pil)

    def _live_tensor(self, rgb: np.ndarray) -> torch.Tensor:
        if isinstance(self._preprocess, Preprocess) and rgb.shape[0] == rgb.shape[1]:
            # Any square side as sent (the adaptive side may be below the model's input size).
            # (1, H, W, 3) viewed as (1, 3, H, W): channels-last with canonical strides, no copy.
            pixels = torch.from_numpy(np.array(rgb))[None].permute(0, 3, 1, 2).float() / 255.0
            x = self._preprocess.normalize(pixels)
        else:
            x = input_tensor(Image.fromarray(rgb), self._preprocess)
        # Channels-last input: the convolutions' outputs stay channels-last, which CPU kernels
        # (convolution, max-pooling: 10x) run much faster. A batch of one needs an explicit copy:
        # `.contiguous(channels_last)` keeps odd strides that count as both layouts.
        out = torch.empty(x.shape, dtype=x.dtype, device=x.device, memory_format=torch.channels_last)
        return out.copy_(x)

    def _live_note_size(self, size: tuple[int, int]) -> None:
        """Show how frames of ``size`` are fitted to the model (once per new frame size)."""
        if getattr(self, "_live_noted_size", None) != size:
            self._live_noted_size = size
            self._show_input_notes(input_for(self.model, size).notes)

    def _live_dreamer_for(self) -> FrameDreamer:
        opts = self.live_options
        precision = float_precision(opts["precision"], model_device(self.model))  # gradients: never int8
        wanted = (self.layer, opts["dream_steps"], opts["dream_lr"], opts["carry"], precision)
        if self._live_dreamer is None or self._live_dreamer_key != wanted:
            self._live_dreamer = FrameDreamer(self.model, self.layer, steps=int(wanted[1]), lr=float(wanted[2]),
                                         carry=float(wanted[3]), preprocess=self._preprocess, precision=wanted[4])
            self._live_dreamer_key = wanted
        return self._live_dreamer

    def _live_offer_crop(self, rgb: np.ndarray, acts: np.ndarray) -> None:
        if len(self.selected) != 2 or self.selected[0] != self.layer:
            return
        if self._live_tracker is None or self._live_tracker.k != self.live_options["top_k"]:
            side = receptive_field(self.model, self.layer, rgb.shape[0])
            self._live_tracker = TopCrops(k=int(self.live_options["top_k"]), side=side)
        kept = self._live_tracker.offer(rgb, acts[self.selected[1]])
        now = time.monotonic()
        if kept and now - self._live_crops_sent >= TOP_CROPS_EVERY_S:
            self._live_send_crops()

    def _live_send_crops(self) -> None:
        self._live_crops_sent = time.monotonic()
        tile = 64
        with self.hold_sync():
            self.top_crops = protocol.encode_jpeg(Image.fromarray(self._live_tracker.strip(tile)), quality=85)
            self.top_crops_meta = {
                "unit": list(self.selected),
                "values": [round(c.value, 4) for c in self._live_tracker.crops()],
                "tile": tile,
            }

    def _live_reset_tracker(self) -> None:
        self._live_tracker = None

    def _reset_live(self) -> None:
        self._live_recent.clear()
        if self._live_tracker is not None and self._live_tracker.crops():
            self._live_send_crops()
        if self._live_dreamer is not None:
            self._live_dreamer.reset()
