"""Every test in here runs offline: sockets refuse to connect and caches are empty temp folders."""

from __future__ import annotations

import socket

import pytest
import torch


def _refuse(*args, **kwargs):
    raise OSError("network access is blocked in cnnwidget's model tests")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Block every connection and name lookup; no test may reach the internet."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    """An empty torch hub cache (``torch.hub.get_dir()``), and an empty Hugging Face cache."""
    path = tmp_path / "torch-hub"
    path.mkdir()
    monkeypatch.setattr(torch.hub, "_hub_dir", str(path))
    try:
        from huggingface_hub import constants

        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-hub"))
    except ImportError:
        pass
    return path
