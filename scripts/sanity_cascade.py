"""Cascading model-parameter randomization (Adebayo et al. 2018) on the default model.

Randomizes the default model's weights from the top down, one block more at a
time (classifier, stage4, ..., stem), and prints, for each attribution method,
the mean Spearman rank correlation between the trained model's map and the
randomized model's, over four generated pictures (one each of circle, star,
vertical stripes, checkerboard; target: the picture's class).

    PYTHONPATH=$PWD python scripts/sanity_cascade.py      # ~15 min on 2 CPU cores

The figures are recorded in docs/attribution.md.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from cnnwidget.data.synthetic import make_batch
from cnnwidget.engine.attribution import METHODS, attribution_map
from cnnwidget.engine.attribution_sanity import rank_correlation
from cnnwidget.models.default_model import default_model

BLOCKS = ["classifier", "stage4", "stage3", "stage2", "stage1", "stem"]
OPTIONS = {"steps": 16, "window": 32, "stride": 16}


def cascade(model, seed: int = 1):
    """Copies of ``model`` with the top 1, 2, ... blocks replaced by a random DefaultNet's."""
    torch.manual_seed(seed)
    random_state = default_model(None).state_dict()
    levels = []
    for i in range(1, len(BLOCKS) + 1):
        level = copy.deepcopy(model)
        state = level.state_dict()
        for key in state:
            if key.split(".")[0] in BLOCKS[:i]:
                state[key] = random_state[key]
        level.load_state_dict(state)
        levels.append(level)
    return levels


def main() -> None:
    model = default_model()
    levels = cascade(model)
    pictures, labels = make_batch(4, seed=11, labels=torch.tensor([0, 3, 7, 10]))
    normalize = model.cnnwidget_preprocess.normalize
    print("| method | " + " | ".join(f"+{b}" for b in BLOCKS) + " |")
    print("|---" * (len(BLOCKS) + 1) + "|")
    for method in METHODS:
        rows = np.zeros(len(levels))
        for picture, label in zip(pictures, labels.tolist()):
            trained = attribution_map(model, picture[None], label, method, normalize=normalize, **OPTIONS)
            for j, level in enumerate(levels):
                other = attribution_map(level, picture[None], label, method, normalize=normalize, **OPTIONS)
                rows[j] += rank_correlation(trained, other) / len(pictures)
        print(f"| {method} | " + " | ".join(f"{v:.2f}" for v in rows) + " |", flush=True)


if __name__ == "__main__":
    main()
