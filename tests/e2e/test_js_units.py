"""The front end's TypeScript unit tests (js/test/), run with node, plus the grid contract:
bytes from ``protocol.encode_grid`` must decode in ``js/protocol.ts`` to what
``protocol.decode_grid`` gives in Python. No browser; about a second."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from cnnwidget.widget import protocol

from .conftest import REPO


def test_typescript_units_and_grid_contract(tmp_path):
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "esbuild").exists():
        pytest.fail("the front-end tests need Node.js 18+ and `npm install` in the repository root")
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(5, 3, 7)).astype(np.float32) * 4
    acts[2] = 1.5  # a constant channel: max == min
    payload, shape = protocol.encode_grid(acts)
    stats, values = protocol.decode_grid(payload, shape["channels"], shape["height"], shape["width"])
    (tmp_path / "grid.bin").write_bytes(payload)
    (tmp_path / "expected.json").write_text(
        json.dumps(
            {
                "meta": {"layer": "x", "version": 1, **shape},
                "stats": stats.ravel().tolist(),
                "values": values.ravel().tolist(),
            }
        )
    )
    run = subprocess.run(
        [node, "js/test/run.mjs"],
        cwd=REPO,
        env={**os.environ, "CNNWIDGET_GRID_FIXTURE": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok    decodeGrid agrees with protocol.encode_grid" in run.stdout, run.stdout
