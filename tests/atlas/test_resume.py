"""Interrupt, then rerun: only the missing units are computed, and nothing half-written remains."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cnnwidget.atlas import build_atlas as atlas
from cnnwidget.atlas.plan import Unit
from cnnwidget.atlas.source import ModelSource
from tests.atlas.conftest import LAYER, QUICK, pixels

REPO = Path(__file__).resolve().parents[2]


def test_interrupted_run_resumes_with_only_the_missing_units(tmp_path, local_atlas):
    model = ModelSource.of("default", None).build()
    saved = []

    def stop_after_four(record):
        saved.append(record["unit"])
        if len(saved) == 4:
            raise KeyboardInterrupt  # as Ctrl-C would, in the middle of the second task

    with pytest.raises(KeyboardInterrupt):
        atlas(model, [LAYER], tmp_path, units="0:6", batch=3, callback=stop_after_four, threads=1, **QUICK)
    assert not list(tmp_path.rglob(".tmp-*"))
    first = {Unit(LAYER, c) for c in saved}
    stamps = {u: (tmp_path / f"{LAYER}/{u.channel}.png").stat().st_mtime_ns for u in first}

    again = atlas(model, [LAYER], tmp_path, units="0:6", batch=3, threads=1, **QUICK)
    assert set(again.skipped) == first
    assert set(again.computed) == {Unit(LAYER, c) for c in range(6)} - first
    assert {u: (tmp_path / f"{LAYER}/{u.channel}.png").stat().st_mtime_ns for u in first} == stamps
    for c in range(6):  # resumed pictures are those of an uninterrupted run
        assert np.array_equal(pixels(tmp_path / f"{LAYER}/{c}.png"), pixels(local_atlas.out / f"{LAYER}/{c}.png"))

    third = atlas(model, [LAYER], tmp_path, units="0:6", batch=3, **QUICK)
    assert third.computed == [] and len(third.skipped) == 6


def test_a_resumed_atlas_is_the_uninterrupted_one_over_a_long_run(tmp_path):
    """96 steps at 96 px: had the rerun cut the missing units into new tasks ([1, 2, 3], [4, 5]
    instead of [0, 1, 2], [3, 4, 5]), units 2, 3 and 5 would differ by up to 141 grey levels."""
    model = ModelSource.of("default", None).build()
    long = dict(QUICK, steps=96, size=96, batch=3, threads=1)
    atlas(model, [LAYER], tmp_path / "whole", units="0:6", **long)

    def stop(record):
        raise KeyboardInterrupt  # after the first unit

    with pytest.raises(KeyboardInterrupt):
        atlas(model, [LAYER], tmp_path / "cut", units="0:6", callback=stop, **long)
    resumed = atlas(model, [LAYER], tmp_path / "cut", units="0:6", **long)
    assert (len(resumed.computed), len(resumed.skipped)) == (5, 1)
    for c in range(6):
        a, b = pixels(tmp_path / f"whole/{LAYER}/{c}.png"), pixels(tmp_path / f"cut/{LAYER}/{c}.png")
        assert np.array_equal(a, b), f"unit {c} differs by up to {np.abs(a - b).max()} levels"


def test_ctrl_c_on_the_command_line_then_rerun(tmp_path):
    """SIGINT to a running `cnnwidget atlas` process group (as a terminal's Ctrl-C), then the same command."""
    out = tmp_path / "atlas"
    cmd = [sys.executable, "-m", "cnnwidget.cli", "atlas", "default", "--layers", LAYER, "--units", "0:12",
           "--out", str(out), "--steps", "40", "--size", "40", "--batch", "1", "--weights", "none",
           "--workers", "2", "-q"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(cmd, env=env, start_new_session=True, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not list(out.glob(f"{LAYER}/*.png")):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "no unit finished in time"
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=120) == 130
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    done = {int(p.stem) for p in out.glob(f"{LAYER}/*.png")}
    assert 1 <= len(done) < 12
    assert not list(out.rglob(".tmp-*"))
    assert (out / "atlas.json").is_file() and (out / "index.html").is_file()

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{12 - len(done)} units computed, {len(done)} already there" in rerun.stderr
    assert {int(p.stem) for p in out.glob(f"{LAYER}/*.png")} == set(range(12))
