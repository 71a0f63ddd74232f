"""The "make it say X" success rate on the shipped default model, every sample photo x every other class.

For each bundled sample photo and each class the model does not already read in it, runs
:func:`cnnwidget.adversarial` (Captum's PGD, at most ``--steps`` steps, L-infinity budget
``--eps`` grey levels of 255) and counts the targets reached, checked on the saved 8-bit
picture read back through :func:`cnnwidget.predictions`. Prints one row per photo and the total.

    PYTHONPATH=$PWD python scripts/adversarial_success.py             # 8/255, 40 steps
    PYTHONPATH=$PWD python scripts/adversarial_success.py --eps 2     # a smaller budget

The test ``tests/engine/test_adversarial.py`` asserts the hardest case of each photo (its least
likely class) at the default budget; this script measures every target.
"""

from __future__ import annotations

import argparse
import statistics

import cnnwidget
from cnnwidget.engine.adversarial import DEFAULT_STEPS
from cnnwidget.models.default_model import default_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eps", type=float, default=8, help="budget in grey levels of 255 (default 8)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=f"PGD steps at most (default {DEFAULT_STEPS})")
    args = parser.parse_args()
    net = default_model()
    classes = net.cnnwidget_classes
    reached_all, tried_all, steps_all = 0, 0, []
    print(f"default model, {len(classes)} classes, eps {args.eps:g}/255, at most {args.steps} steps")
    print("| photo | read as | targets reached | steps (median / max) | not reached |")
    print("|---|---|---|---|---|")
    for name, path in cnnwidget.samples().items():
        top = cnnwidget.predictions(net, path, k=1)[0]
        reached, steps, missed = 0, [], []
        targets = [k for k in range(len(classes)) if k != top.index]
        for target in targets:
            adv = cnnwidget.adversarial(net, path, target, eps=args.eps / 255, steps=args.steps)
            saved = cnnwidget.predictions(net, adv.image, k=1)[0].index  # the 8-bit picture, read back
            if adv.reached and saved == target and float(adv.perturbation.abs().max()) <= args.eps / 255 + 1e-6:
                reached += 1
                steps.append(adv.steps)
            else:
                missed.append(classes[target])
        reached_all, tried_all, steps_all = reached_all + reached, tried_all + len(targets), steps_all + steps
        spread = f"{statistics.median(steps):g} / {max(steps)}" if steps else "-"
        print(f"| {name} | {top.name} | {reached}/{len(targets)} | {spread} | {', '.join(missed) or '-'} |")
    spread = f"{statistics.median(steps_all):g} / {max(steps_all)}" if steps_all else "-"
    print(f"| **all** | | **{reached_all}/{tried_all} = {100 * reached_all / tried_all:.1f}%** | {spread} | |")


if __name__ == "__main__":
    main()
