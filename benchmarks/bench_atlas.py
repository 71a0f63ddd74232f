"""Benchmark: atlas throughput (units per minute), local process pool vs Ray, batched vs one unit per task.

Run::

    .venv/bin/python benchmarks/bench_atlas.py                 # 96 units of stage3, 32 steps, 64 px
    .venv/bin/python benchmarks/bench_atlas.py --units 0:64 --steps 64 --size 96 --repeat 2

Every configuration makes the same units into a fresh directory, with 2 workers of one
torch thread each (the machine's 2 cores): the local executor's process pool, or a local
Ray with ``num_cpus=2`` started before the Ray runs (its start-up is reported on its own).
Figures per configuration:

* wall: all units / whole run (pool start-up, model building and task overheads included);
* busy: 2 workers x 60 / unit-s, the rate once both workers are busy (start-up excluded);
* unit-s: the mean time one worker spends on one unit (task time / units in the task).

The pictures of each configuration are compared with those of the first configuration with the
same batch size: they must be equal (pictures are bit-identical for the same batch and threads).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnwidget.atlas import build_atlas as atlas  # noqa: E402
from cnnwidget.models.default_model import DEFAULT_WEIGHTS  # noqa: E402


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def run(name: str, out: Path, args, **kw) -> dict:
    stamps = []
    start = time.perf_counter()
    result = atlas(args.model, [args.layer], out, units=args.units, steps=args.steps, size=args.size,
                   weights=args.weights, progress=False, callback=lambda r: stamps.append(time.perf_counter()),
                   **kw)
    wall = time.perf_counter() - start
    records = json.loads((out / "atlas.json").read_text())["units"]
    n = len(stamps)
    unit_s = float(np.mean([r["seconds"] for r in records]))
    return {
        "config": name, "units": n, "wall_s": round(wall, 1), "wall_upm": round(60 * n / wall, 1),
        "busy_upm": round(2 * 60 / unit_s, 1), "unit_s": round(unit_s, 3),
        "first_unit_s": round(stamps[0] - start, 1), "load": load(),
    }


def same_pictures(a: Path, b: Path, layer: str) -> bool:
    for png in sorted((a / layer).glob("*.png")):
        x = np.asarray(Image.open(png).convert("RGB"))
        y = np.asarray(Image.open(b / layer / png.name).convert("RGB"))
        if not np.array_equal(x, y):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--weights", default=None, help="default: the shipped weights if present, else none")
    parser.add_argument("--layer", default="stage3")
    parser.add_argument("--units", default="0:96")
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    if args.weights is None:
        args.weights = "DEFAULT" if DEFAULT_WEIGHTS.is_file() else "none"

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}; "
          f"load average at start {load()}")
    print(f"model {args.model} (weights {args.weights}), {args.layer} units {args.units}, "
          f"{args.steps} steps, {args.size} px, float32")
    tmp = Path(tempfile.mkdtemp(prefix="bench-atlas-"))
    configs = [("local, batch %d" % args.batch, {"batch": args.batch, "workers": 2, "threads": 1}),
               ("local, 1 unit/task", {"batch": 1, "workers": 2, "threads": 1})]
    ray = None
    if not args.no_ray:
        import ray

        t = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        print(f"local Ray (num_cpus=2) started in {time.perf_counter() - t:.1f} s")
        configs += [("Ray 2 workers, batch %d" % args.batch, {"batch": args.batch, "executor": "ray"}),
                    ("Ray 2 workers, 1 unit/task", {"batch": 1, "executor": "ray"})]
    rows, reference = [], {}
    try:
        for rep in range(args.repeat):
            for i, (name, kw) in enumerate(configs):
                out = tmp / f"{rep}-{i}"
                row = run(name, out, args, **kw)
                reference.setdefault(kw["batch"], out)
                row["same_pictures"] = same_pictures(reference[kw["batch"]], out, args.layer)
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        if ray is not None:
            ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average at the end {load()}")
    print()
    print("| configuration | units | wall s | units/min (wall) | units/min (2 workers busy) | s per unit per worker "
          "| first unit after | same pictures as local | load avg after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['config']} | {r['units']} | {r['wall_s']} | {r['wall_upm']} | {r['busy_upm']} | "
              f"{r['unit_s']} | {r['first_unit_s']} s | {'yes' if r['same_pictures'] else 'NO'} | {r['load']} |")


if __name__ == "__main__":
    main()
