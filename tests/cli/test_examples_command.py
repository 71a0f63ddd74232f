"""``cnnwidget examples``: an index from the command line, resumed by rerunning, errors in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cnnwidget.dataset_examples import ExampleIndex
from tests.dataset_examples.fixtures import planted  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[2]
SPEC = "tests.dataset_examples.planted:build"


def _cli(*args, cwd=REPO):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "cnnwidget.cli", "examples", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_command_makes_an_index_shows_progress_and_resumes(planted, tmp_path):
    root, truth = planted
    out = tmp_path / "ex"
    done = _cli(SPEC, root, "--layers", "edges,blur", "--k", "3", "--out", out, "--batch", "4", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert "28/28" in done.stderr and "img" in done.stderr  # the tqdm bar
    assert "28 images read, 0 skipped" in done.stderr and "complete" in done.stderr
    index = ExampleIndex.open(out)
    assert {Path(e.path).name for e in index.top("edges", 0)[:2]} == set(truth["red"])
    again = _cli(SPEC, root, "--layers", "edges,blur", "--k", "3", "--out", out, "--batch", "4", "-q")
    assert again.returncode == 0 and "28 images read" in again.stderr
    refused = _cli(SPEC, root, "--layers", "edges", "--k", "3", "--out", out, "--batch", "4", "-q")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "made with layers=['edges', 'blur'], not ['edges']" in refused.stderr and "Traceback" not in refused.stderr


def test_bad_arguments_are_one_line_errors(planted, tmp_path):
    root, _ = planted
    unknown = _cli(SPEC, root, "--layers", "edgez", "--out", tmp_path / "a", "-q")
    assert unknown.returncode == 2 and "error: unknown layer 'edgez'; did you mean 'edges'" in unknown.stderr
    missing = _cli(SPEC, tmp_path / "nowhere", "--layers", "edges", "--out", tmp_path / "b", "-q")
    assert missing.returncode == 2 and "error: no folder or image at" in missing.stderr
    assert "Traceback" not in unknown.stderr + missing.stderr
    zero = _cli(SPEC, root, "--layers", "edges", "--k", "0", "--out", tmp_path / "c")
    assert zero.returncode == 2 and "must be at least 1" in zero.stderr
