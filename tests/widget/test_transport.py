"""The base64 fallback for front ends that drop binary buffers (Colab): the probe, messages and traits."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

from cnnwidget import CNNExplorer
from cnnwidget.widget import protocol


@pytest.fixture
def explorer(photo):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 4, 3, padding=1))
    ex = CNNExplorer(model, image=photo)
    ex.sent = []
    ex._send = lambda msg, buffers=None: ex.sent.append((msg, list(buffers or [])))
    return ex


def customs(ex):
    return [(m["content"], b) for m, b in ex.sent if m.get("method") == "custom"]


def test_probe_with_its_buffer_keeps_binary_buffers(explorer):
    explorer._on_browser_message(explorer, {"type": "transport", "probe": True}, [protocol.TRANSPORT_PROBE])
    (content, buffers), = customs(explorer)
    assert content == {"type": "transport", "received": True, "encoding": "buffers"}
    assert buffers == [protocol.TRANSPORT_PROBE]  # the answer always carries the probe as a buffer
    assert explorer.transport == "buffers" and explorer.error == ""


def test_probe_without_its_buffer_switches_to_base64_and_resends_bytes_traits(explorer):
    explorer._on_browser_message(explorer, {"type": "transport", "probe": True}, [])
    assert explorer.transport == "base64"
    updates = [m for m, _ in explorer.sent if m.get("method") == "update"]
    assert updates, "the Bytes traits were not sent again"
    state = updates[-1]["state"]
    assert base64.b64decode(state["grid"]["b64"]) == explorer.grid
    assert base64.b64decode(state["image"]["b64"]) == explorer.image
    assert not any(b for m, b in explorer.sent if m.get("method") == "update")  # no binary buffers
    content, buffers = customs(explorer)[-1]
    assert content["received"] is False and buffers == [protocol.TRANSPORT_PROBE]


def test_base64_mode_moves_message_buffers_into_content(explorer):
    explorer._on_browser_message(explorer, {"type": "transport", "encoding": "base64"}, [])
    explorer.send({"type": "maximize_progress", "job": 1}, buffers=[b"\x89PNG...", b"\x00\x01"])
    content, buffers = customs(explorer)[-1]
    assert buffers == [] and [base64.b64decode(s) for s in content["b64"]] == [b"\x89PNG...", b"\x00\x01"]


def test_upload_in_base64_content_is_decoded(explorer):
    flipped = np.zeros((40, 60, 3), np.uint8)
    flipped[:, :30] = 255
    out = io.BytesIO()
    Image.fromarray(flipped).save(out, format="PNG")
    explorer._on_browser_message(
        explorer, {"type": "upload", "name": "half.png", "b64": [base64.b64encode(out.getvalue()).decode()]}, [])
    assert explorer.error == "" and explorer.image_name == "half.png"


def test_bad_base64_and_bad_encoding_are_named_errors(explorer):
    explorer._on_browser_message(explorer, {"type": "upload", "name": "x.png", "b64": ["not base64!"]}, [])
    assert "invalid base64" in explorer.error
    explorer._on_browser_message(explorer, {"type": "transport", "encoding": "morse"}, [])
    assert "transport encoding must be one of ['buffers', 'base64']" in explorer.error
    assert explorer.transport == "buffers"
