"""cnnwidget's Jupyter server extension: kernel messages reach the browser without Nagle's delay.

Jupyter's server relays each kernel message to the browser over a WebSocket whose TCP socket
keeps Nagle's algorithm on: a small write waits while an earlier one is unacknowledged, and the
browser acknowledges late (delayed ACKs, up to 40 ms). For a notebook that hardly matters; for
a live stream it does. Each live frame's answer follows small messages (the kernel's status,
the predictions), and in ``benchmarks/bench_live.py`` the kernel-to-browser leg of a frame took
20.6 ms with small answers (112 px frames) and 5.1–6.7 ms with 224 px ones, against 2.6 ms and
3.8 ms with ``TCP_NODELAY`` set on the kernel WebSockets (2-core AMD EPYC, AVX2 kernel).

Installing cnnwidget enables this extension for Jupyter servers (JupyterLab, Notebook 7) of the
same environment (``etc/jupyter/jupyter_server_config.d/cnnwidget.json``); a server elsewhere
(e.g. JupyterHub's) enables it with ``jupyter server extension enable cnnwidget_server``. It
lives outside the ``cnnwidget`` package so that the server does not import torch.
"""

from __future__ import annotations

import inspect
import logging

__all__ = ["nodelay_kernel_websockets"]

_MARK = "_cnnwidget_nodelay"


def _jupyter_server_extension_points() -> list[dict]:
    """The extension's entry point, as Jupyter's server looks it up."""
    return [{"module": "cnnwidget_server"}]


def _load_jupyter_server_extension(serverapp) -> None:
    """Called by the server at start: switch Nagle's algorithm off on kernel WebSockets."""
    log = getattr(serverapp, "log", logging.getLogger(__name__))
    if nodelay_kernel_websockets():
        log.info("cnnwidget: kernel WebSockets send without Nagle's delay (TCP_NODELAY)")
    else:
        log.warning("cnnwidget: this Jupyter server has no kernel WebSocket handler to set TCP_NODELAY on")


def nodelay_kernel_websockets(handler_class: type | None = None) -> bool:
    """Make ``handler_class`` (default: jupyter_server's ``KernelWebsocketHandler``) set
    ``TCP_NODELAY`` on each WebSocket it opens. Idempotent; returns False when there is no such
    handler. A socket that refuses the option is left as it is. Writes that fail because the
    browser closed the page meanwhile are no longer printed as tracebacks in the server's terminal
    (tornado's write future held an exception nobody retrieved)."""
    if handler_class is None:
        try:
            from jupyter_server.services.kernels.websocket import KernelWebsocketHandler as handler_class
        except ImportError:
            return False
    if getattr(handler_class, _MARK, False):
        return True
    original = handler_class.open

    async def open(self, *args, **kwargs):  # noqa: A001 - the handler's own method name
        try:
            self.set_nodelay(True)
        except Exception:  # a closed or non-TCP stream: nothing to do
            pass
        result = original(self, *args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    open.__doc__ = "Open the kernel WebSocket with TCP_NODELAY set (cnnwidget_server), then as before."
    handler_class.open = open

    original_write = handler_class.write_message

    def write_message(self, message, binary=False):
        sent = original_write(self, message, binary=binary)
        if hasattr(sent, "add_done_callback"):
            sent.add_done_callback(_peer_gone)
        return sent

    write_message.__doc__ = ("Write as before; a write that failed because the browser went away (a closed tab) "
                             "is not logged as a never-retrieved task exception (cnnwidget_server).")
    handler_class.write_message = write_message
    setattr(handler_class, _MARK, True)
    return True


def _peer_gone(sent) -> None:
    """Mark a finished write's exception as seen: a browser that went away needs no traceback."""
    if not sent.cancelled():
        sent.exception()
