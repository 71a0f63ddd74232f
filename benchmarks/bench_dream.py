"""Benchmark: cnnwidget.deepdream against torch-dreams' octave DeepDream, side by side in one process.

Benchmark-only dependencies (never package dependencies)::

    .venv/bin/pip install torch-dreams==1.1.1 --no-deps
    .venv/bin/pip install matplotlib

torch-dreams 1.x is the release line with the classic octave DeepDream
(``dreamer.deep_dream``); later releases dropped it. It passes
``resample=`` to torchvision's ``RandomRotation``, removed in torchvision
0.13, so this script shims that keyword before importing it.

Run (single thread for both; CPU time is the figure of merit)::

    .venv/bin/python benchmarks/bench_dream.py

Equal work and equal objective: a 512 x 512 photo (a bundled sample),
torchvision ResNet-18 with random weights (seeded), the mean square of
``layer3``'s activations, 3 octaves of 10 steps with scale 1.4, and equal
pixel step sizes (torch-dreams steps in normalized units with gradients
divided by their standard deviation; cnnwidget in pixel units with gradients
divided by their mean magnitude: lr 0.055 there equals lr 0.01 here). Both
dreams are judged the same way: the mean square of ``layer3`` over 8 fixed
random views of the 512 px picture (benchmarks/judge.py).
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
from pathlib import Path

import numpy as np
import torch
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_maximize import timed  # noqa: E402
from judge import machine_line, unit_score  # noqa: E402

from cnnwidget.data.samples import samples  # noqa: E402
from cnnwidget.engine.deepdream import deepdream  # noqa: E402
from cnnwidget.engine.images import load_image  # noqa: E402
from cnnwidget.engine.preprocessing import IMAGENET_MEAN, IMAGENET_STD, Preprocess, to_tensor  # noqa: E402

LAYER = "layer3"
SIZE = 512
LR_OURS = 0.01
LR_TORCH_DREAMS = 0.055  # same pixel step, see the module docstring


def _import_torch_dreams():
    import torchvision.transforms as T

    original = T.RandomRotation.__init__

    def init(self, *args, resample=None, **kwargs):  # shim: keyword removed in torchvision 0.13
        original(self, *args, **kwargs)

    T.RandomRotation.__init__ = init
    from torch_dreams.dreamer import dreamer

    return dreamer


def run_torch_dreams(model, photo: torch.Tensor, octaves: int, steps: int, seed: int) -> torch.Tensor:
    dreamer = _import_torch_dreams()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    mean, std = np.array(IMAGENET_MEAN, np.float32), np.array(IMAGENET_STD, np.float32)
    image = (photo[0].permute(1, 2, 0).numpy() - mean) / std
    dreamy = dreamer(model, quiet_mode=True)
    out = dreamy.deep_dream({
        "image": image.astype(np.float32),
        "layers": [model.layer3],
        "octave_scale": 1.4,
        "num_octaves": octaves - 1,  # torch-dreams dreams on num_octaves + 1 sizes
        "iterations": steps,
        "lr": LR_TORCH_DREAMS,
        "custom_func": lambda outputs: sum(o.pow(2).mean() for o in outputs),
    })
    return torch.from_numpy(np.ascontiguousarray(out)).permute(2, 0, 1)[None].float()


def run_ours(model, photo: torch.Tensor, octaves: int, steps: int, seed: int) -> torch.Tensor:
    out = deepdream(model, photo[0], layers=LAYER, octaves=octaves, octave_scale=1.4, steps=steps, lr=LR_OURS,
                    seed=seed, progress=False)
    return to_tensor(out)[None]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--octaves", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--photo", default="chelsea")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    photo = to_tensor(Preprocess(size=SIZE).crop(load_image(samples()[args.photo])))[None]
    judge = lambda px: unit_score(model, LAYER, None, px, count=8, size=SIZE)  # noqa: E731

    run_torch_dreams(copy.deepcopy(model), photo, 1, 1, 0)  # warm-up
    run_ours(model, photo, 1, 1, 0)

    print(f"# bench_dream  ({machine_line()})")
    print(f"command: {' '.join(['.venv/bin/python', 'benchmarks/bench_dream.py', *sys.argv[1:]])}")
    start = judge(photo)
    rows = []
    for rep in range(args.repeats):
        # torch-dreams leaves a hook on the model for every step it takes: a fresh copy each time.
        px, wall, cpu = timed(lambda: run_torch_dreams(copy.deepcopy(model), photo, args.octaves, args.steps, rep))
        rows.append(("torch-dreams 1.1.1", rep, judge(px), wall, cpu))
        print(rows[-1], flush=True)
        px, wall, cpu = timed(lambda: run_ours(model, photo, args.octaves, args.steps, rep))
        rows.append(("cnnwidget", rep, judge(px), wall, cpu))
        print(rows[-1], flush=True)
    print()
    print(f"photo {args.photo} at {SIZE}x{SIZE}; objective before dreaming: {start:.4f}")
    print("| run | repeat | objective after (8 views) | wall s | CPU s |")
    print("|---|---|---|---|---|")
    for name, rep, value, wall, cpu in rows:
        print(f"| {name} | {rep} | {value:.4f} | {wall:.1f} | {cpu:.1f} |")
    theirs = [r for r in rows if r[0] != "cnnwidget"]
    ours = [r for r in rows if r[0] == "cnnwidget"]
    cpu_ratio = np.mean([r[4] for r in theirs]) / np.mean([r[4] for r in ours])
    wall_ratio = np.mean([r[3] for r in theirs]) / np.mean([r[3] for r in ours])
    print()
    print(f"speed-up: {cpu_ratio:.1f}x (CPU time), {wall_ratio:.1f}x (wall); objective gain over the photo: "
          f"torch-dreams {np.mean([r[2] for r in theirs]) / start:.2f}x, cnnwidget {np.mean([r[2] for r in ours]) / start:.2f}x")


if __name__ == "__main__":
    main()
