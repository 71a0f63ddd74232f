"""Every test in here runs offline: sockets refuse to connect and caches are empty temp folders."""

from __future__ import annotations

import socket
import time

import pytest
import torch


@pytest.fixture(autouse=True)
def no_network(monkeypatch) -> list[str]:
    """Block every connection and name lookup; no test may reach the internet.

    Returns the list of attempts (``"connect ('host', 443)"``, ``"getaddrinfo host"``...), so a test
    can count them: failing fast offline means trying once, not retrying.
    """
    attempts: list[str] = []

    def refuser(what: str, skip_self: bool):
        def refuse(*args, **kwargs):
            target = args[1] if skip_self and len(args) > 1 else (args[0] if args else "?")
            attempts.append(f"{what} {target!r}")
            raise OSError("network access is blocked in cnnwidget's model tests")

        return refuse

    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(socket.socket, "connect", refuser("connect", True))
    monkeypatch.setattr(socket.socket, "connect_ex", refuser("connect_ex", True))
    monkeypatch.setattr(socket, "create_connection", refuser("create_connection", False))
    monkeypatch.setattr(socket, "getaddrinfo", refuser("getaddrinfo", False))
    return attempts


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Every ``time.sleep`` asked for during the test (the sleeps still happen): retries wait this way."""
    asked: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds):
        asked.append(float(seconds))
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return asked


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
