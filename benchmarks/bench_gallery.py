"""Benchmark: a 64-unit gallery as one batched cnnwidget run, against Lucent one unit at a time.

Benchmark-only dependencies (never package dependencies)::

    .venv/bin/pip install torch-lucent --no-deps
    .venv/bin/pip install kornia==0.4.1 decorator --no-deps

Run (single thread for both; CPU time is the figure of merit)::

    .venv/bin/python benchmarks/bench_gallery.py

Model: torchvision ResNet-18, random weights (seeded); units 0..63 of
``layer3.1.conv2``; 224 px pictures for both. cnnwidget optimizes the 64
pictures as one batch with the step count that matched Lucent's 512-step
score in bench_maximize.py. Lucent renders units one after another with its
defaults (512 steps); since its units share no work, its 64-unit time is the
mean time of ``--lucent-units`` of them times 64 (pass ``--lucent-units 64``
to time them all). The units Lucent ran are judged for both libraries with
benchmarks/judge.py.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np
import torch
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_maximize import quantize, run_lucent_unit, timed  # noqa: E402
from judge import hf_share, machine_line, unit_score  # noqa: E402

from cnnwidget.engine.maximize import Maximizer  # noqa: E402
from cnnwidget.engine.preprocessing import to_tensor  # noqa: E402

LAYER = "layer3.1.conv2"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--steps", type=int, default=96)
    parser.add_argument("--lucent-units", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    units = list(range(args.units))
    sampled = [units[round(i * (len(units) - 1) / max(1, args.lucent_units - 1))] for i in range(args.lucent_units)]

    run_lucent_unit(copy.deepcopy(model), LAYER, 0, 0, steps=2)  # warm-up
    Maximizer(model, f"{LAYER}:0", steps=2, seed=0).run()

    print(f"# bench_gallery  ({machine_line()})")
    print(f"command: {' '.join(['.venv/bin/python', 'benchmarks/bench_gallery.py', *sys.argv[1:]])}")

    def ours():
        engine = Maximizer(model, [f"{LAYER}:{u}" for u in units], steps=args.steps, seed=args.seed)
        engine.run()
        return engine.images()

    images, o_wall, o_cpu = timed(ours)
    print(f"cnnwidget: {len(units)} units, one batch, {args.steps} steps: wall {o_wall:.1f}s cpu {o_cpu:.1f}s", flush=True)

    l_walls, l_cpus, rows = [], [], []
    for u in sampled:
        px, wall, cpu = timed(lambda: run_lucent_unit(copy.deepcopy(model), LAYER, u, args.seed))
        l_walls.append(wall)
        l_cpus.append(cpu)
        mine = to_tensor(images[u])[None]
        theirs = quantize(px)
        rows.append((u, unit_score(model, LAYER, u, theirs), hf_share(theirs), unit_score(model, LAYER, u, mine), hf_share(mine)))
        print(f"unit {u}: Lucent 512 steps wall {wall:.1f}s cpu {cpu:.1f}s; scores Lucent {rows[-1][1]:.3f} "
              f"cnnwidget {rows[-1][3]:.3f}", flush=True)

    l_cpu_total = float(np.mean(l_cpus)) * len(units)
    l_wall_total = float(np.mean(l_walls)) * len(units)
    print()
    print("| unit | Lucent score | Lucent high-freq. | cnnwidget score | cnnwidget high-freq. |")
    print("|---|---|---|---|---|")
    for u, ls, lh, cs, ch in rows:
        print(f"| {u} | {ls:.3f} | {lh:.4f} | {cs:.3f} | {ch:.4f} |")
    print()
    print(f"Lucent, one by one: {np.mean(l_cpus):.1f}s CPU per unit -> {l_cpu_total:.0f}s CPU for {len(units)} "
          f"(wall {l_wall_total:.0f}s){'' if len(sampled) == len(units) else f', from {len(sampled)} timed units'}")
    print(f"cnnwidget, one batch: {o_cpu:.0f}s CPU (wall {o_wall:.0f}s)")
    print(f"speed-up: {l_cpu_total / o_cpu:.1f}x (CPU time), {l_wall_total / o_wall:.1f}x (wall)")
    print(f"mean score on the units both ran: Lucent {np.mean([r[1] for r in rows]):.3f}, "
          f"cnnwidget {np.mean([r[3] for r in rows]):.3f}")


if __name__ == "__main__":
    main()
