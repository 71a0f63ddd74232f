"""Benchmark: how natural are the pictures? Lucent, cnnwidget's ``soft``, ``fft`` and ``maco``, same units, one run.

Benchmark-only dependencies as for bench_maximize.py (Lucent 0.1.8 and kornia 0.4.1, ``--no-deps``).

Run (every library on one thread; CPU time is the figure of merit, as the
machine is shared)::

    .venv/bin/python benchmarks/bench_natural.py

Each unit is visualized by Lucent's ``render_vis`` with its defaults (512
steps, 128 px Fourier parameter upsampled to 224 px), by cnnwidget's
``param="soft"`` (the default), ``param="fft"`` and ``param="maco"`` (all at
``--steps``, default 176, the widget's default). Every final picture is judged as the saved 8-bit picture by
benchmarks/judge.py: the robust objective (the unit's mean activation over 32
fixed random views) and four naturalness figures (clipped-pixel share,
spectral slope, high-frequency share, mean saturation), and the stricter
near-end share (any channel <= 0.05 or >= 0.95) beside them. The bundled sample
photos' figures are printed first, as the reference.

Goals for the default parameterization, per unit: robust objective >= Lucent's;
clipped share <= half of Lucent's; spectral slope within 0.3 of the photos'
mean; CPU time <= 1/5 of Lucent's.
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

from judge import machine_line, naturalness, photo_reference, unit_score  # noqa: E402

from cnnwidget.engine.maximize import Maximizer  # noqa: E402
from cnnwidget.engine.preprocessing import to_tensor  # noqa: E402
from cnnwidget.models import load_model  # noqa: E402

UNITS = [
    ("resnet18", "layer3.1.conv2:5"),
    ("resnet18", "layer4.0.conv1:11"),
    ("default", "stage3.conv2.conv:7"),
    ("default", "stage4.conv2.conv:3"),
]
"""``(model, unit)`` pairs: torchvision ResNet-18 with random weights (seed 0), and the shipped default model."""

SLOPE_TOLERANCE = 0.3
CLIP_FACTOR = 0.5
CPU_FACTOR = 0.2


def build_model(name: str):
    """A model by name: ``"default"`` (shipped, trained) or a torchvision architecture with random weights (seed 0)."""
    if name == "default":
        return load_model("default").eval()
    torch.manual_seed(0)
    return getattr(torchvision.models, name)().eval()


def cpu_timed(fn):
    """``(fn(), CPU seconds of this process)``."""
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def run_lucent(model, layer: str, channel: int, seed: int, steps: int = 512) -> torch.Tensor:
    """Lucent's ``render_vis`` with its defaults; its 8-bit picture ``(1, 3, 128, 128)`` (the judge resizes it to 224 px)."""
    from lucent.optvis import render

    torch.manual_seed(seed)
    np.random.seed(seed)
    images = render.render_vis(
        model, f"{layer.replace('.', '_')}:{channel}", thresholds=(steps,), show_image=False, progress=False
    )
    pixels = torch.from_numpy(images[-1]).permute(0, 3, 1, 2).float()
    return (pixels.clamp(0, 1) * 255).round() / 255


def run_ours(model, unit: str, param: str, steps: int, seed: int) -> torch.Tensor:
    """cnnwidget's defaults with ``param``; the saved 8-bit picture ``(1, 3, 224, 224)``."""
    engine = Maximizer(model, unit, steps=steps, seed=seed, param=param)
    engine.run()
    return to_tensor(engine.images()[0])[None]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=176, help="cnnwidget's steps (default 176, the widget's)")
    parser.add_argument("--lucent-steps", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--units", nargs="+", default=None, help="model=unit pairs, e.g. resnet18=layer3.1.conv2:5")
    parser.add_argument("--params", nargs="+", default=["soft", "fft", "maco"])
    parser.add_argument("--no-lucent", action="store_true", help="skip Lucent (for quick looks; no goals then)")
    parser.add_argument("--save", type=Path, default=None, help="folder to save every picture in")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    units = UNITS if args.units is None else [tuple(u.split("=", 1)) for u in args.units]

    print(f"# bench_natural  ({machine_line()})")
    print(f"command: {' '.join(['.venv/bin/python', 'benchmarks/bench_natural.py', *sys.argv[1:]])}")
    reference = photo_reference()["mean"]
    print(f"sample photos (mean of 6): clipped {reference['clipped']:.3f}, slope {reference['slope']:.2f}, "
          f"high-freq. {reference['hf']:.4f}, saturation {reference['saturation']:.3f}, "
          f"near-end {reference['near_end']:.3f}", flush=True)
    models = {name: build_model(name) for name in dict.fromkeys(m for m, _ in units)}
    # warm-up: one-off library and oneDNN initialisation out of the timings
    for name, unit in units[:1]:
        run_ours(models[name], unit, args.params[0], 2, 0)
        if not args.no_lucent:
            layer, channel = unit.split(":")
            run_lucent(copy.deepcopy(models[name]), layer, int(channel), 0, steps=2)

    rows = []
    for name, unit in units:
        model = models[name]
        layer, channel = unit.split(":")
        runs = []
        if not args.no_lucent:
            # Lucent registers hooks it never removes: give it its own copy.
            runs.append((f"Lucent {args.lucent_steps}", lambda: run_lucent(
                copy.deepcopy(model), layer, int(channel), args.seed, args.lucent_steps)))
        for param in args.params:
            runs.append((f"{param} {args.steps}", lambda p=param: run_ours(model, unit, p, args.steps, args.seed)))
        for label, fn in runs:
            pixels, cpu = cpu_timed(fn)
            score = unit_score(model, layer, int(channel), pixels)
            figures = naturalness(pixels)
            rows.append({"model": name, "unit": unit, "run": label, "score": score, "cpu": cpu, **figures})
            if args.save is not None:
                from cnnwidget.engine.preprocessing import to_pil

                args.save.mkdir(parents=True, exist_ok=True)
                to_pil(pixels[0]).save(args.save / f"{name}_{unit.replace(':', '_')}_{label.split()[0]}.png")
            print(f"{name} {unit} {label}: score {score:.3f} clipped {figures['clipped']:.3f} "
                  f"slope {figures['slope']:.2f} hf {figures['hf']:.4f} sat {figures['saturation']:.3f} "
                  f"near-end {figures['near_end']:.3f} "
                  f"cpu {cpu:.1f}s", flush=True)

    print()
    print("| model | unit | run | robust objective | clipped share | spectral slope | high-freq. share | saturation "
          "| near-end share | CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| sample photos | (mean of 6) | | | {reference['clipped']:.3f} | {reference['slope']:.2f} | "
          f"{reference['hf']:.4f} | {reference['saturation']:.3f} | {reference['near_end']:.3f} | |")
    for r in rows:
        print(f"| {r['model']} | {r['unit']} | {r['run']} | {r['score']:.3f} | {r['clipped']:.3f} | "
              f"{r['slope']:.2f} | {r['hf']:.4f} | {r['saturation']:.3f} | {r['near_end']:.3f} | {r['cpu']:.1f} |")
    if args.no_lucent:
        return
    print()
    for param in args.params:
        label = f"{param} {args.steps}"
        verdicts = []
        for name, unit in units:
            lucent = next(r for r in rows if r["model"] == name and r["unit"] == unit and r["run"].startswith("Lucent"))
            ours = next(r for r in rows if r["model"] == name and r["unit"] == unit and r["run"] == label)
            checks = {
                "objective": ours["score"] >= lucent["score"],
                "clipped": ours["clipped"] <= CLIP_FACTOR * lucent["clipped"],
                "slope": abs(ours["slope"] - reference["slope"]) <= SLOPE_TOLERANCE,
                "cpu": ours["cpu"] <= CPU_FACTOR * lucent["cpu"],
            }
            verdicts.append(all(checks.values()))
            missed = [k for k, ok in checks.items() if not ok]
            print(f"{label} on {name} {unit}: " + ("meets all four goals" if not missed else f"misses {', '.join(missed)}")
                  + f" (objective {ours['score'] / max(lucent['score'], 1e-9):.2f}x Lucent's, "
                  f"clipped {ours['clipped']:.3f} vs Lucent {lucent['clipped']:.3f}, CPU {ours['cpu'] / lucent['cpu']:.2f}x)")
        print(f"{label}: meets every goal on {sum(verdicts)} of {len(verdicts)} units")


if __name__ == "__main__":
    main()
