"""Shared settings for atlas tests: tiny atlases of the default model's random-weight twin."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

# Small and quick: a few units, few steps, small pictures.
QUICK = dict(steps=6, size=40, weights=None, progress=False)
LAYER = "stage2"


def pixels(path) -> np.ndarray:
    """An atlas PNG as an int array (H, W, 3)."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).astype(int)


@pytest.fixture(scope="session")
def local_atlas(tmp_path_factory):
    """Six units of stage2 made by the local process pool (2 workers), batch 3."""
    from cnnwidget.atlas import build_atlas as atlas

    out = tmp_path_factory.mktemp("atlas") / "local"
    result = atlas("default", [LAYER], out, units="0:6", batch=3, workers=2, **QUICK)
    return result
