"""The Jupyter server extension: kernel WebSockets get TCP_NODELAY; the server finds it enabled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cnnwidget_server
from cnnwidget_server import nodelay_kernel_websockets


class FakeHandler:
    """The two methods of a kernel WebSocket handler the extension touches."""

    def __init__(self, refuse: bool = False):
        self.calls: list = []
        self.refuse = refuse

    def set_nodelay(self, value: bool) -> None:
        if self.refuse:
            raise OSError("not a TCP socket")
        self.calls.append(("nodelay", value))

    async def open(self, kernel_id):
        self.calls.append(("open", kernel_id))
        return kernel_id

    def write_message(self, message, binary=False):
        """A write the browser closed under: its future ends with the error."""
        self.calls.append(("write", message))
        return FailedWrite()


class FailedWrite:
    """A finished write future holding an error; notes whether anyone looked at the error."""

    def __init__(self):
        self.error, self.seen = ConnectionResetError("the page was closed"), False

    def add_done_callback(self, callback):
        callback(self)

    def cancelled(self):
        return False

    def exception(self):
        self.seen = True
        return self.error


def finish(coroutine):
    """Run a coroutine that never waits (no event loop needed: other tests may leave one running)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the coroutine waited")


def test_each_opened_kernel_websocket_gets_tcp_nodelay_before_the_handler_runs():
    class Handler(FakeHandler):
        pass

    assert nodelay_kernel_websockets(Handler)
    assert nodelay_kernel_websockets(Handler)  # a second call changes nothing
    handler = Handler()
    assert finish(handler.open("k1")) == "k1"
    assert handler.calls == [("nodelay", True), ("open", "k1")]
    sent = handler.write_message("status")
    assert handler.calls[-1] == ("write", "status")
    assert sent.seen  # retrieved: asyncio prints no "exception was never retrieved" traceback
    assert isinstance(sent.error, ConnectionResetError)  # the future itself still carries the failure
    refusing = Handler(refuse=True)  # a socket that refuses the option still opens
    assert finish(refusing.open("k2")) == "k2" and refusing.calls == [("open", "k2")]


def test_jupyter_servers_handler_is_patched_when_the_server_loads_the_extension():
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    class App:
        class log:
            infos: list = []

            @classmethod
            def info(cls, message):
                cls.infos.append(message)

            warning = info

    cnnwidget_server._load_jupyter_server_extension(App)
    assert getattr(KernelWebsocketHandler, "_cnnwidget_nodelay", False)
    assert "TCP_NODELAY" in App.log.infos[-1]


def test_the_installed_environment_enables_the_extension_without_importing_torch():
    """`jupyter server extension list` in this environment (the install's shared data file)."""
    jupyter = Path(sys.executable).with_name("jupyter")
    out = subprocess.run([str(jupyter), "server", "extension", "list"], capture_output=True, text=True, timeout=120)
    text = out.stdout + out.stderr
    assert "cnnwidget_server" in text and "enabled" in text.split("cnnwidget_server", 1)[1].splitlines()[0]
    probe = subprocess.run([sys.executable, "-c", "import sys, cnnwidget_server; print('torch' in sys.modules)"],
                           capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() == "False"
