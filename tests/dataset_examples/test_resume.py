"""Kill a run, rerun it: only the missing shards are scanned and the index is the uninterrupted one.
Other settings on the same directory are refused with the fix; nothing is written outside ``out``."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnwidget.dataset_examples import ExamplesError, dataset_examples
from tests.dataset_examples.fixtures import LAYERS, QUICK
from tests.dataset_examples.planted import PlantedNet

REPO = Path(__file__).resolve().parents[2]


def _env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), **extra}


def _rows(db: Path, table: str) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def _finished_shards(db: Path) -> int:
    try:
        with sqlite3.connect(db) as con:
            return con.execute("SELECT COUNT(*) FROM shards").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_killed_run_resumes_from_its_finished_shards(planted, planted_index, tmp_path):
    root, _ = planted
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "tests.dataset_examples.run_planted", str(root), str(out), "3"],
                            cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while _finished_shards(out / "examples.sqlite") < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = _finished_shards(out / "examples.sqlite")
    assert 2 <= finished < 4, f"killed after {finished} of 4 shards: the test proves nothing"

    scanned = []
    index = dataset_examples(PlantedNet(), root, LAYERS, out=out, callback=lambda info: scanned.append(info["shard"]),
                             **QUICK)
    assert len(scanned) == 4 - finished and min(scanned) >= finished
    assert index.report.images == 28 and index.report.complete
    assert len(index.report.runs) == 2
    whole = planted_index.database
    for table in ("examples", "units", "skipped", "partials"):
        assert _rows(out / "examples.sqlite", table) == _rows(whole, table), table
    again = []
    dataset_examples(PlantedNet(), root, LAYERS, out=out, callback=again.append, **QUICK)
    assert again == []  # a finished index is left as it is


def test_other_settings_on_the_same_out_are_refused_with_the_fix(planted, planted_index):
    root, _ = planted
    with pytest.raises(ExamplesError, match=r"made with k=3, not 5; rerun with the same settings .*\(--out\)"):
        dataset_examples(PlantedNet(), root, LAYERS, out=planted_index.root, **{**QUICK, "k": 5})
    with pytest.raises(ExamplesError, match=r"made with layers=\['edges', 'blur'\], not \['edges'\]"):
        dataset_examples(PlantedNet(), root, ["edges"], out=planted_index.root, **QUICK)
    other = PlantedNet()
    other.conv.bias.data.fill_(0.1)
    with pytest.raises(ExamplesError, match=r"made with model='PlantedNet@"):
        dataset_examples(other, root, LAYERS, out=planted_index.root, **QUICK)


def test_a_folder_that_is_not_an_index_is_not_written_into(planted, tmp_path):
    root, _ = planted
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ExamplesError, match="not empty and holds no dataset examples; choose an empty or new"):
        dataset_examples(PlantedNet(), root, LAYERS, out=tmp_path, **QUICK)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_nothing_is_written_outside_out(planted, tmp_path):
    root, _ = planted
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    out = cwd / "out"
    subprocess.run([sys.executable, "-m", "tests.dataset_examples.run_planted", str(root), str(out)], cwd=cwd,
                   env=_env(TMPDIR=str(tmp)), check=True, capture_output=True, timeout=300)
    assert sorted(p.name for p in cwd.iterdir()) == ["out"]
    assert list(tmp.iterdir()) == []
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before
    written = sorted(p.relative_to(out).parts[0] for p in out.rglob("*") if p.is_file())
    assert set(written) == {"examples.sqlite", "crops"}
