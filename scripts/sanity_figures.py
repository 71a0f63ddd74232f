"""The model-parameter randomization figures (Adebayo et al. 2018) of every attribution method.

Runs the check of ``tests/engine/test_attribution_sanity.py`` with the test's settings (the
shipped default model; four generated pictures: circle, star, vertical stripes, checkerboard,
each explained for its own class; the classifier and ``stage4`` randomized for "top", every
weight for "all") and prints the table of ``docs/attribution.md``: the mean Spearman rank
correlation of the trained model's map with a second run, with the top-randomized model's map
and with the all-randomized model's, and the verdict (a pass needs both randomized figures at
least ``PASS_GAP`` below the same-model one).

    PYTHONPATH=$PWD python scripts/sanity_figures.py     # about 5 min on 2 busy CPU cores
"""

from __future__ import annotations

import torch

from cnnwidget.data.synthetic import make_batch
from cnnwidget.engine.attribution import METHOD_LABELS, METHODS, SANITY
from cnnwidget.engine.attribution_sanity import PASS_GAP, randomization_check
from cnnwidget.models.default_model import default_model

TOP = ("classifier", "stage4")
"""The decision layers randomized first (as in the test)."""

OPTIONS = {"steps": 16, "window": 32, "stride": 16}
"""Integrated Gradients' path points and Occlusion's window and stride (as in the test)."""


def main() -> None:
    net = default_model()
    pictures, labels = make_batch(4, seed=11, labels=torch.tensor([0, 3, 7, 10]))
    print(f"pass: both randomized figures at least {PASS_GAP} below 'same model'")
    print("| method | same model | top randomized | all randomized | verdict | SANITY (widget) |")
    print("|---|---|---|---|---|---|")
    for method in METHODS:
        f = randomization_check(net, pictures, labels.tolist(), method, top=TOP,
                                normalize=net.cnnwidget_preprocess.normalize, **OPTIONS)
        verdict = "passes" if f.passes else "**fails**"
        print(f"| {METHOD_LABELS[method]} | {f.same_model:.2f} | {f.top_randomized:.2f} | {f.all_randomized:.2f} "
              f"| {verdict} | {'sane' if SANITY[method] else 'marked failing'} |", flush=True)


if __name__ == "__main__":
    main()
