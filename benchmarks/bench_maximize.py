"""Benchmark: cnnwidget.maximize against Lucent on one unit, side by side in one process.

Benchmark-only dependencies (never package dependencies)::

    .venv/bin/pip install torch-lucent --no-deps
    .venv/bin/pip install kornia==0.4.1 decorator --no-deps

Run (both libraries on the same single thread, so that other work on the
machine disturbs both alike; CPU time is the figure of merit, wall time is
shown beside it)::

    .venv/bin/python benchmarks/bench_maximize.py --seeds 0 1

Model: torchvision ResNet-18 with random weights (seeded), unit
``layer3.1.conv2:5``. Lucent runs its defaults: a 128 px decorrelated
Fourier parameter upsampled to 224 px, its standard transforms, Adam at
0.05 for 512 steps. cnnwidget runs its defaults with a ladder of step
counts. Both final pictures are judged the same way (benchmarks/judge.py):
the unit's mean activation over 32 fixed random views (shift, scale,
rotation) at 224 px, and the picture's share of high-frequency energy. The
speed-up is Lucent's 512-step time over the time of the shortest cnnwidget
run that reaches Lucent's score with at most 3x Lucent's high-frequency share.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from judge import hf_share, machine_line, unit_score  # noqa: E402

from cnnwidget.engine.maximize import Maximizer  # noqa: E402
from cnnwidget.engine.preprocessing import to_tensor  # noqa: E402

LAYER, CHANNEL = "layer3.1.conv2", 5
HF_LIMIT = 3.0


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def run_lucent_unit(model, layer: str, channel: int, seed: int, steps: int = 512):
    """Lucent's ``render_vis`` with its defaults; the final picture as ``(1, 3, 128, 128)``."""
    from lucent.optvis import render

    torch.manual_seed(seed)
    np.random.seed(seed)
    images = render.render_vis(
        model, f"{layer.replace('.', '_')}:{channel}", thresholds=(steps,), show_image=False, progress=False
    )
    return torch.from_numpy(images[-1]).permute(0, 3, 1, 2).float()


def run_lucent(model, seed: int, steps: int = 512):
    return run_lucent_unit(model, LAYER, CHANNEL, seed, steps)


def run_ours(model, seed: int, steps: int, **options):
    engine = Maximizer(model, f"{LAYER}:{CHANNEL}", steps=steps, seed=seed, **options)
    engine.run()
    return to_tensor(engine.images()[0])[None]  # judged as the saved 8-bit picture, like Lucent's


def quantize(pixels: torch.Tensor) -> torch.Tensor:
    return (pixels.clamp(0, 1) * 255).round() / 255


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--ladder", type=int, nargs="+", default=[32, 48, 64, 96, 128])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lucent-steps", type=int, default=512)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    judge = lambda px: (unit_score(model, LAYER, CHANNEL, px), hf_share(px))  # noqa: E731

    # warm-up: one-off library and oneDNN initialisation out of the timings
    run_lucent(copy.deepcopy(model), 0, steps=2)
    run_ours(model, 0, 2)

    print(f"# bench_maximize  ({machine_line()})")
    print(f"command: {' '.join(['.venv/bin/python', 'benchmarks/bench_maximize.py', *sys.argv[1:]])}")
    rows, speedups = [], []
    for seed in args.seeds:
        # Lucent registers hooks it never removes: give it its own copy each time.
        px, l_wall, l_cpu = timed(lambda: run_lucent(copy.deepcopy(model), seed, args.lucent_steps))
        l_score, l_hf = judge(quantize(px))
        rows.append((seed, f"Lucent {args.lucent_steps} steps", l_score, l_hf, l_wall, l_cpu))
        print(f"seed {seed}: Lucent score {l_score:.3f} hf {l_hf:.4f} wall {l_wall:.1f}s cpu {l_cpu:.1f}s", flush=True)
        reached = None
        for steps in args.ladder:
            px, wall, cpu = timed(lambda: run_ours(model, seed, steps))
            score, hf = judge(px)
            rows.append((seed, f"cnnwidget {steps} steps", score, hf, wall, cpu))
            print(f"seed {seed}: cnnwidget {steps} score {score:.3f} hf {hf:.4f} wall {wall:.1f}s cpu {cpu:.1f}s", flush=True)
            if reached is None and score >= l_score and hf <= HF_LIMIT * l_hf:
                reached = (steps, wall, cpu)
                break
        if reached:
            speedups.append((seed, reached[0], l_cpu / reached[2], l_wall / reached[1]))
        # the bf16 question, measured: same run in float32
        steps = reached[0] if reached else args.ladder[-1]
        px, wall, cpu = timed(lambda: run_ours(model, seed, steps, precision="float32"))
        score, hf = judge(px)
        rows.append((seed, f"cnnwidget {steps} steps, float32", score, hf, wall, cpu))
        print(f"seed {seed}: cnnwidget {steps} float32 score {score:.3f} hf {hf:.4f} wall {wall:.1f}s cpu {cpu:.1f}s", flush=True)

    print()
    print("| seed | run | score (mean act., 32 views) | high-freq. share | wall s | CPU s |")
    print("|---|---|---|---|---|---|")
    for seed, name, score, hf, wall, cpu in rows:
        print(f"| {seed} | {name} | {score:.3f} | {hf:.4f} | {wall:.1f} | {cpu:.1f} |")
    print()
    for seed, steps, cpu_ratio, wall_ratio in speedups:
        print(f"seed {seed}: cnnwidget reaches Lucent's {args.lucent_steps}-step score in {steps} steps: "
              f"{cpu_ratio:.1f}x faster (CPU time), {wall_ratio:.1f}x (wall)")
    if speedups:
        print(f"mean speed-up: {np.mean([s[2] for s in speedups]):.1f}x (CPU), {np.mean([s[3] for s in speedups]):.1f}x (wall)")
    missing = [s for s in args.seeds if s not in {x[0] for x in speedups}]
    if missing:
        print(f"seeds {missing}: cnnwidget did not reach Lucent's score within {args.ladder[-1]} steps")


if __name__ == "__main__":
    main()
