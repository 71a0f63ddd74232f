"""The kernel's share of a live frame, lever by lever, without a browser: A/B alternated in one process.

What one live frame costs in the kernel (resnet18, random weights, ``layer3``), timed as CPU
time of the live thread (``time.thread_time``; wall time too), medians over alternated runs:

* maps: float32 vs bfloat16 autocast vs the int8 copy (``engine/int8_front.py``), at 224 px and
  at a smaller adaptive side; the int8 copy's build time and its agreement with float32;
* maps with the class scores from the same pass (int8: the whole network quantized; float:
  the full forward) against maps alone;
* live DeepDream per frame at several sides and steps per frame (``engine/live_dream.py``);
* 1 vs 2 intra-op torch threads (the browser is not running here: with it on the same two
  cores, bench_live --levers is the judge);
* ``torch.compile`` of the float32 front (``--compile``: inductor needs a C++ compiler and can
  take minutes on two loaded cores; the compile time is reported).

Every row states the CPU capability (``--avx2`` re-runs this script in a child process with
``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2``), the precision and the side.

Run:  .venv/bin/python benchmarks/bench_live_kernel.py [--avx2] [--repeats 12] [--compile] [--record]
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

AVX2_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def timed(fn, repeats: int) -> tuple[float, float]:
    """Median (CPU ms of this thread, wall ms) of ``repeats`` calls after one warm-up call."""
    fn()
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = time.thread_time(), time.perf_counter()
        fn()
        cpu.append((time.thread_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def alternate(cases: dict, repeats: int, rounds: int = 3) -> dict:
    """Time each case ``rounds`` times in turn (A B C, A B C, ...), ``repeats`` calls each; medians."""
    got = {k: ([], []) for k in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            c, w = timed(fn, repeats)
            got[name][0].append(c)
            got[name][1].append(w)
    return {k: (round(statistics.median(c), 1), round(statistics.median(w), 1)) for k, (c, w) in got.items()}


def pictures(side: int) -> list[torch.Tensor]:
    from PIL import Image

    from cnnwidget.data.samples import samples
    from cnnwidget.engine.preprocessing import Preprocess

    pre = Preprocess(size=side)
    out = []
    for path in samples().values():
        rgb = np.asarray(pre.crop(Image.open(path).convert("RGB")))
        x = pre.normalize(torch.from_numpy(rgb.copy())[None].permute(0, 3, 1, 2).float() / 255)
        out.append(x.contiguous(memory_format=torch.channels_last))
    return out


def measure(repeats: int, compile_: bool) -> list[dict]:
    import torchvision

    from cnnwidget.engine.activations import layer_outputs
    from cnnwidget.engine.int8_front import build_int8_front
    from cnnwidget.engine.live_dream import FrameDreamer

    torch.set_num_threads(1)
    cap = torch.backends.cpu.get_cpu_capability()
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    rows = []

    def row(lever, setting, precision, side, figures, note=""):
        rows.append({"lever": lever, "setting": setting, "capability": cap, "precision": precision, "side": side,
                     "cpu_ms": figures[0], "wall_ms": figures[1], "note": note})

    cal = pictures(224)
    t = time.perf_counter()
    maps8 = build_int8_front(model, "layer3", cal, logits=False)
    maps8_s = time.perf_counter() - t
    both8 = build_int8_front(model, "layer3", cal, logits=True)
    agree = maps8.agreement
    note = (f"int8 copy built in {maps8_s:.1f} s; median channel r {agree['pearson_median']:.3f}, "
            f"p10 {agree['pearson_p10']:.3f}, relative error {agree['relative_error']:.3f}")
    for side in (224, 160):
        x = pictures(side)[0]
        cases = {
            "float32": lambda: layer_outputs(model, x, ["layer3"], precision="float32"),
            "bfloat16": lambda: layer_outputs(model, x, ["layer3"], precision="bfloat16"),
            "int8": lambda: maps8(x),
        }
        for name, figures in alternate(cases, repeats).items():
            row("precision (maps)", name, name, side, figures, note if name == "int8" else "")
        cases = {
            "float32 maps": lambda: layer_outputs(model, x, ["layer3"], precision="float32"),
            "float32 maps + scores": lambda: layer_outputs(model, x, ["layer3", ""], precision="float32"),
            "int8 maps": lambda: maps8(x),
            "int8 maps + scores": lambda: both8(x),
        }
        for name, figures in alternate(cases, repeats).items():
            row("class scores every frame", name, name.split()[0], side, figures)

    x = cal[0]

    def threads(n, fn):
        def run():
            torch.set_num_threads(n)
            try:
                fn()
            finally:
                torch.set_num_threads(1)
        return run

    cases = {f"{n} thread{'s' if n > 1 else ''} {p}": threads(n, f)
             for n in (1, 2) for p, f in (("float32", lambda: layer_outputs(model, x, ["layer3"], precision="float32")),
                                           ("int8", lambda: maps8(x)))}
    for name, figures in alternate(cases, repeats).items():
        row("intra-op threads (no browser)", name, name.split()[-1], 224, figures,
            "CPU time adds both threads' work only for the calling thread; read wall ms")

    for side in (224, 176, 144):
        frame = (np.random.default_rng(side).random((side, side, 3)) * 255).astype(np.uint8)
        dreamers = {steps: FrameDreamer(model, "layer3", steps=steps, lr=0.03, precision="auto") for steps in (2, 1)}
        cases = {f"{steps} steps": (lambda d=d: d(frame)) for steps, d in dreamers.items()}
        for name, figures in alternate(cases, max(3, repeats // 3)).items():
            row("dream per frame", name, dreamers[2].precision, side, figures)

    if compile_:
        from torchvision.models.feature_extraction import create_feature_extractor

        front = create_feature_extractor(model, {"layer3": "maps"})
        try:
            t = time.perf_counter()
            compiled = torch.compile(front)
            with torch.no_grad():
                compiled(x)
            compile_s = time.perf_counter() - t
            cases = {"eager float32": lambda: front(x), "compiled float32": lambda: compiled(x)}
            with torch.no_grad():
                for name, figures in alternate(cases, repeats).items():
                    row("torch.compile", name, "float32", 224, figures,
                        f"first call (compile) {compile_s:.0f} s" if name.startswith("compiled") else "")
        except Exception as err:  # no C++ compiler, or inductor refused
            row("torch.compile", "failed", "float32", 224, (None, None), f"{type(err).__name__}: {str(err)[:120]}")
    return rows


def report(rows: list[dict], command: str) -> str:
    load = os.getloadavg()[0]
    lines = [f"## bench_live_kernel — the kernel's share of a live frame, A/B per lever — {datetime.date.today().isoformat()}",
             "", f"- Machine: {os.cpu_count()}-core CPU, no GPU; load average {load:.1f} at the end; torch {torch.__version__}",
             f"- Command: `{command}`", "- One live thread (torch.set_num_threads(1)) unless the row says otherwise; resnet18 "
             "(random weights) up to `layer3`; medians over settings alternated in one process", "",
             "| lever | setting | CPU capability | precision | side px | CPU ms | wall ms | note |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['lever']} | {r['setting']} | {r['capability']} | {r['precision']} | {r['side']} | "
                     f"{r['cpu_ms']} | {r['wall_ms']} | {r['note']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--avx2", action="store_true", help="run in a child restricted to AVX2 (ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA)")
    parser.add_argument("--repeats", type=int, default=12, help="timed calls per setting and round (default 12)")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile of the float32 front")
    parser.add_argument("--record", action="store_true", help="append the table to benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.avx2 and os.environ.get("ATEN_CPU_CAPABILITY") != "avx2":  # the restriction must be set before torch loads
        raise SystemExit(subprocess.call([sys.executable, __file__, *sys.argv[1:]], env={**os.environ, **AVX2_ENV}))
    rows = measure(args.repeats, args.compile)
    command = ".venv/bin/python benchmarks/bench_live_kernel.py " + shlex.join(a for a in sys.argv[1:] if a != "--record")
    text = report(rows, command.strip())
    print(text)
    if args.record:
        from live_harness import record

        record(text)


if __name__ == "__main__":
    main()
