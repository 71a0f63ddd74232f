"""Memory does not grow with the data set: peak RSS for 10x the pictures stays within a few MB."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.dataset_examples.planted import background

REPO = Path(__file__).resolve().parents[2]


def _folder(root: Path, n: int) -> Path:
    root.mkdir()
    tiles = [Image.fromarray(background(72, 64, seed)) for seed in range(50)]
    for i in range(n):
        tiles[i % 50].save(root / f"{i:05d}.png", compress_level=1)
    return root


def _peak_mb(src: Path, out: Path) -> tuple[int, float]:
    done = subprocess.run([sys.executable, "-m", "tests.dataset_examples.rss_probe", str(src), str(out)], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=600,
                          check=True)
    images, peak = done.stdout.split()
    return int(images), float(peak)


def test_peak_rss_is_flat_when_the_data_set_grows_tenfold(tmp_path):
    small = _peak_mb(_folder(tmp_path / "small", 150), tmp_path / "out-small")
    large = _peak_mb(_folder(tmp_path / "large", 1500), tmp_path / "out-large")
    assert small[0] == 150 and large[0] == 1500
    # Keeping the decoded inputs would add 1350 x 3 x 64 x 64 x 4 B = 88 MB; keeping the maps of both layers, 110 MB.
    assert large[1] - small[1] < 12, (small, large)
