"""Live camera frames are handled without announcing "busy" to the notebook front end.

The kernel brackets every message it handles with ``status: busy`` and ``status: idle``
on IOPub. For a cell run that is what the user wants to see; for a live stream of 25–30
frames a second it is not: JupyterLab flips its kernel indicator, the favicon and the
toolbar's execution indicator twice per frame, which cost the browser ~10 ms of CPU per
frame in ``benchmarks/bench_live.py`` (a JavaScript profile of the page) — more than the
network needs to compute the frame.

:func:`quiet_frames` makes the running IPython kernel skip the ``busy`` status for
``frame`` messages of the registered widgets only. The ``idle`` that ends each message
is still sent, so the front end's bookkeeping (a comm message's future ends on its
``idle``) is unchanged, and every other message (cells, other widgets, other messages
of this widget) keeps both. Outside an ipykernel (scripts, tests, other kernels) it does
nothing.

:func:`idle_after` lets a frame's handler return at once while the ``idle`` that ends the
frame message waits until the frame's answer is out. The kernel then reads the next frame while
this one computes (the live thread keeps only the newest waiting frame, so a frame never
queues behind frames the kernel has no time for), and the answer still leaves before the
``idle``: the other order costs ~40 ms a frame, because Jupyter's server writes to the browser
without TCP_NODELAY and a small message just ahead holds the answer back until the browser
acknowledges it (Nagle's algorithm against delayed ACKs).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

from .. import protocol

_LOCK = threading.Lock()
_COMMS: set[str] = set()
_INSTALLED: dict[int, Any] = {}  # id(kernel) -> the kernel's own _publish_status
_HELD: dict[str, Future] = {}  # msg_id of a frame message -> the job whose end publishes its idle


def quiet_frames(comm_id: str, kernel=None) -> bool:
    """Skip the ``busy`` status for live frames sent to the widget ``comm_id``.

    Args:
        comm_id: the widget's comm id.
        kernel: the ipykernel ``Kernel`` (default: the running one).

    Returns:
        True when the kernel supports it (an ipykernel), False otherwise.
    """
    kernel = kernel if kernel is not None else _kernel()
    if kernel is None or not callable(getattr(kernel, "_publish_status", None)):
        return False
    with _LOCK:
        _COMMS.add(comm_id)
        if id(kernel) not in _INSTALLED:
            _INSTALLED[id(kernel)] = kernel._publish_status
            kernel._publish_status = _filtered(kernel, kernel._publish_status)
    return True


def release(comm_id: str, kernel=None) -> None:
    """Forget ``comm_id``; the last one gone puts the kernel's own status publishing back."""
    kernel = kernel if kernel is not None else _kernel()
    with _LOCK:
        _COMMS.discard(comm_id)
        if _COMMS or kernel is None or id(kernel) not in _INSTALLED:
            return
        _INSTALLED.pop(id(kernel))
        if "_publish_status" in vars(kernel):
            del kernel._publish_status  # the class's method shows through again


def idle_after(job: Future, kernel=None) -> bool:
    """Publish the ``idle`` that ends the live-frame message being handled once ``job`` is done.

    Call it from the frame's handler. Returns False when it cannot (outside an ipykernel, a
    message that is not a registered widget's frame): the handler must then wait for ``job``
    itself if the answer has to leave before the ``idle``.
    """
    kernel = kernel if kernel is not None else _kernel()
    if kernel is None or id(kernel) not in _INSTALLED:
        return False
    try:
        current = kernel.get_parent("shell")
    except Exception:
        return False
    if not is_live_frame(current):
        return False
    with _LOCK:
        _HELD[current["header"]["msg_id"]] = job
    return True


def is_live_frame(message: Any) -> bool:
    """Whether a deserialized kernel message is a ``frame`` sent to a registered widget."""
    try:
        if message["header"]["msg_type"] != "comm_msg":
            return False
        content = message["content"]
        data = content["data"]
        return (
            content["comm_id"] in _COMMS
            and data.get("method") == "custom"
            and data["content"].get("type") == protocol.FRAME
        )
    except (KeyError, TypeError, AttributeError):
        return False


def _filtered(kernel, publish):
    def publish_status(status, channel, parent=None):
        if status == "busy" and channel == "shell":
            try:
                current = parent or kernel.get_parent(channel)
            except Exception:  # an older ipykernel without per-channel parents
                current = parent
            if current is not None and is_live_frame(current):
                return None
        if status == "idle" and channel == "shell":
            try:
                current = parent or kernel.get_parent(channel)
                msg_id = current["header"]["msg_id"]
            except Exception:
                msg_id = None
            with _LOCK:
                job = _HELD.pop(msg_id, None) if msg_id is not None else None
            if job is not None:  # after the frame's answer (also when the frame was dropped or failed)
                job.add_done_callback(lambda _: publish(status, channel, current))
                return None
        return publish(status, channel, parent)

    publish_status.__doc__ = "Publish a kernel status, skipping 'busy' for live frames (cnnwidget.quiet_frames)."
    return publish_status


def _kernel():
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:
        return None
    return Kernel.instance() if Kernel.initialized() else None
