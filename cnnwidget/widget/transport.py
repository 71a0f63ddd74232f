"""How bulk bytes travel between kernel and browser: binary buffers, or base64 in the content.

Colab's widget manager drops binary buffers, both in custom messages and in trait state. The
front end probes once per view (a ``transport`` message carrying :data:`protocol.TRANSPORT_PROBE`
as a buffer, answered with the same); when the probe's buffer is lost either way, both sides
switch to base64: custom messages carry their buffers as ``content["b64"]`` (a list of base64
strings) and Bytes traits are sent as ``{"b64": "..."}``. docs/protocol.md describes both.
"""

from __future__ import annotations

import base64

from . import protocol

BUFFERS = "buffers"
BASE64 = "base64"
ENCODINGS = (BUFFERS, BASE64)


def encode(blob: bytes | bytearray | memoryview) -> str:
    """``blob`` as an ASCII base64 string."""
    return base64.b64encode(bytes(blob)).decode("ascii")


class TransportFeature:
    """Mixin of CNNExplorer: sends bulk bytes the way the front end can receive them."""

    _transport: str = BUFFERS

    def _init_transport(self) -> None:
        self._transport = BUFFERS
        self._handlers[protocol.TRANSPORT] = self._on_transport

    @property
    def transport(self) -> str:
        """``"buffers"`` (binary buffers, the default) or ``"base64"`` (in the message content)."""
        return self._transport

    def send(self, content, buffers=None) -> None:
        """Send a custom message; its buffers go base64 in ``content["b64"]`` when buffers do not arrive."""
        if self._transport == BASE64 and buffers:
            content, buffers = {**content, protocol.B64: [encode(b) for b in buffers]}, None
        super().send(content, buffers=buffers)

    def _trait_to_json(self, value, _widget):
        """Bytes traits as ``{"b64": ...}`` in base64 mode, else as they are (binary buffers)."""
        if self._transport == BASE64 and isinstance(value, (bytes, bytearray, memoryview)):
            return {protocol.B64: encode(value)}
        return value

    def _on_transport(self, message: protocol.Message) -> None:
        content = message.content
        if content.get("probe"):
            if message.buffers != [protocol.TRANSPORT_PROBE]:
                self._use_transport(BASE64)  # the probe's buffer was lost on its way here
            # The answer always carries the probe as a buffer: the browser checks it arrives.
            super().send({"type": protocol.TRANSPORT, "received": self._transport == BUFFERS,
                          "encoding": self._transport}, buffers=[protocol.TRANSPORT_PROBE])
            return
        encoding = content.get("encoding")
        if encoding not in ENCODINGS:
            raise protocol.ProtocolError(f"transport encoding must be one of {list(ENCODINGS)}, got {encoding!r}")
        self._use_transport(encoding)

    def _use_transport(self, encoding: str) -> None:
        if encoding == self._transport:
            return
        self._transport = encoding
        # Resend every Bytes trait in the new encoding: what went as buffers may never have arrived.
        names = [n for n, t in self.traits(sync=lambda v: v).items() if isinstance(getattr(self, n), (bytes, bytearray))]
        self.send_state(names)
