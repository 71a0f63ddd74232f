"""The `cnnwidget` console script of pyproject.toml points at the one main, and `python -m cnnwidget.cli` runs it."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_the_console_script_is_cli_main():
    spec = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]["cnnwidget"]
    module, _, name = spec.partition(":")
    entry = getattr(importlib.import_module(module), name)
    from cnnwidget.cli.main import main

    assert entry is main
    with pytest.raises(SystemExit) as exit_:
        entry(["--help"])
    assert exit_.value.code == 0


def test_python_dash_m_runs_the_same_command_line():
    run = subprocess.run([sys.executable, "-m", "cnnwidget.cli", "gallery", "--help"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert run.returncode == 0 and "usage: cnnwidget gallery" in run.stdout
    assert "resnet18, timm:NAME, package.module:attr, a .pt file, or default" in " ".join(run.stdout.split())
