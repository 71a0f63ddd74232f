"""Kernel time to compute and encode one activation grid, and its payload size.

resnet18 (random weights), layer4 (512 channels of 7x7) at 224 px: the work the
kernel does when the user picks a layer. Goal (issue 2): <= 50 ms, <= 300 KB.

Peer (issue 16): a bare forward of the same network cut at layer4 (an nn.Sequential of its
first children), channels-last input, no hooks, no encoding. The script prints the ratio of
compute + encode to that bare forward (goal <= 1.1x), both timed in alternation so that a
loaded machine slows both alike, with the CPU capability torch uses.

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_grid.py
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np
import torch
import torchvision

from cnnwidget.engine import Preprocess, activations_for_tensor
from cnnwidget.widget.protocol import encode_grid


def measure(layer: str, repeats: int = 30) -> dict:
    model = torchvision.models.resnet18()
    photo = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    x = Preprocess()(photo)[None]
    times, cpu, size = [], [], 0
    for i in range(repeats + 3):
        start, start_cpu = time.perf_counter(), time.process_time()
        payload, _ = encode_grid(activations_for_tensor(model, x, layer))
        elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        size = len(payload)
        if i >= 3:  # warm-up
            times.append(elapsed * 1000)
            cpu.append(elapsed_cpu * 1000)
    return {"layer": layer, "p50_ms": statistics.median(times), "max_ms": max(times),
            "cpu_ms": statistics.median(cpu), "bytes": size}


def bare_vs_grid(repeats: int = 30) -> dict:
    """CPU ms of a bare channels-last forward to layer4 and of the widget's grid for layer4, alternated."""
    model = torchvision.models.resnet18().eval()
    front = torch.nn.Sequential(*list(model.children())[:8])  # conv1 .. layer4
    photo = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    x = Preprocess()(photo)[None]
    x_cl = x.contiguous(memory_format=torch.channels_last)
    bare, grid = [], []
    for i in range(repeats + 3):
        start = time.process_time()
        with torch.no_grad():
            front(x_cl)
        b = time.process_time() - start
        start = time.process_time()
        encode_grid(activations_for_tensor(model, x, "layer4"))
        g = time.process_time() - start
        if i >= 3:
            bare.append(b * 1000)
            grid.append(g * 1000)
    return {"bare_ms": statistics.median(bare), "grid_ms": statistics.median(grid),
            "ratio": statistics.median(g / b for g, b in zip(grid, bare))}


def main() -> None:
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    r = bare_vs_grid()
    print(f"layer4 bare channels-last forward CPU p50 {r['bare_ms']:6.1f} ms; compute+encode CPU p50 "
          f"{r['grid_ms']:6.1f} ms; ratio {r['ratio']:.2f}x (goal <= 1.1x)")
    for layer in ("layer4", "layer3", "layer1"):
        r = measure(layer)
        print(f"{r['layer']:7s} compute+encode wall p50 {r['p50_ms']:6.1f} ms (max {r['max_ms']:6.1f}), "
              f"CPU {r['cpu_ms']:6.1f} ms, payload {r['bytes'] / 1024:7.1f} KB")


if __name__ == "__main__":
    main()
