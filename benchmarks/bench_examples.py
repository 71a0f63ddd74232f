"""Benchmark: dataset examples against a bare ``torch.no_grad()`` forward loop; local vs Ray Data with 2 actors.

Run::

    .venv/bin/python benchmarks/bench_examples.py                      # 192 JPEGs, resnet50 layer3+layer4, batch 32
    .venv/bin/python benchmarks/bench_examples.py --images 96 --model resnet18 --no-ray --no-record
    .venv/bin/python benchmarks/bench_examples.py --images 64 --model resnet18 --interleave 2   # same-load ratios

Every configuration runs in a fresh process on the same folder of generated JPEGs
(640x480, quality 90, random smooth colour fields), with random weights (seed 0):

* bare: the pictures decoded and preprocessed beforehand, then timed: a loop of
  ``with torch.no_grad(): model(x)`` over the same batches; and the same loop stopped at
  the deepest chosen layer by a forward hook (the least a scan must compute). The faster
  of the two is the peer.
* local: ``dataset_examples(executor="local")``: DataLoader workers decode, this process
  runs the model to the deepest layer and keeps the top-k. Timed over the scan (from the
  first shard requested to the last stored), as recorded in the index's ``runs`` table;
  the end-to-end wall time (model loading, receptive fields, crops) is given beside it.
* ray: the same with ``executor="ray"`` on a local Ray (``num_cpus=4`` logical CPUs so
  that 2 model actors and the decoding tasks fit on the 2 cores), 2 actors.

With ``--interleave N`` the bare loops and the local scan alternate N times in one process, so
that each ratio compares runs under the same machine load (a shared machine's load swings the
separate-process figures by more than the 15 % being measured).

Peak RSS is ``ru_maxrss`` of the process (the decoding workers and Ray's processes not included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "RESULTS.md"


def make_folder(root: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        Image.fromarray(small).resize((640, 480), Image.BICUBIC).save(root / f"{i:05d}.jpg", quality=90)


def build(model_name: str):
    import torch
    import torchvision

    torch.manual_seed(0)
    return getattr(torchvision.models, model_name)(weights=None).eval()


def bare_loops(model, tensors, batch: int, last_layer: str) -> dict:
    """images/s of the bare loop over ``tensors``: whole model, and stopped at ``last_layer``."""
    import torch

    batches = list(tensors.split(batch))
    modules = dict(model.named_modules())

    class Stop(Exception):
        pass

    def stop(*_):
        raise Stop

    result = {}
    for name, hooked in (("full", False), ("to_layer", True)):
        handle = modules[last_layer].register_forward_hook(stop) if hooked else None
        with torch.no_grad():
            try:
                model(batches[0])  # warm-up
            except Stop:
                pass
            start = time.perf_counter()
            for x in batches:
                try:
                    model(x)
                except Stop:
                    pass
            seconds = time.perf_counter() - start
        if handle is not None:
            handle.remove()
        result[f"{name}_ips"] = len(tensors) / seconds
    return result


def decoded(src: str):
    import torch

    from cnnwidget.dataset_examples.loader import PreparedItems
    from cnnwidget.dataset_examples.sources import ImageSource
    from cnnwidget.engine.preprocessing import Preprocess

    source = ImageSource.of(src)
    items = PreparedItems(source, Preprocess())
    return torch.stack([items[i][1] for i in range(len(source))])


def interleaved(args) -> dict:
    """Rounds of (bare loops, local scan) in one process, so both see the same machine load."""
    from cnnwidget.dataset_examples import dataset_examples

    model = build(args.model)
    layers = args.layers.split(",")
    tensors = decoded(args.src)
    rounds = []
    for r in range(args.interleave):
        bare = bare_loops(model, tensors, args.batch, layers[-1])
        index = dataset_examples(model, args.src, layers, k=9, out=f"{args.out}-{r}", batch=args.batch,
                                 executor="local", progress=False)
        run = index.report.runs[-1]
        local = index.report.images / run["seconds"]
        rounds.append({**bare, "local_ips": local, "ratio": local / max(bare["full_ips"], bare["to_layer_ips"]),
                       "load": os.getloadavg()[0]})
    return {"rounds": rounds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def one(args) -> dict:
    from cnnwidget.dataset_examples import dataset_examples

    model = build(args.model)
    layers = args.layers.split(",")
    if args.one == "bare":
        tensors = decoded(args.src)
        result = {**bare_loops(model, tensors, args.batch, layers[-1]), "images": len(tensors)}
    else:
        if args.one == "ray":
            import ray

            ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}})
        start = time.perf_counter()
        index = dataset_examples(model, args.src, layers, k=9, out=args.out, batch=args.batch, executor=args.one,
                                 workers=2 if args.one == "ray" else None, progress=False)
        wall = time.perf_counter() - start
        run = index.report.runs[-1]
        result = {"images": index.report.images, "scan_s": run["seconds"], "wall_s": wall,
                  "ips": index.report.images / run["seconds"]}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def spawn(config: str, args, tmp: Path) -> dict:
    cmd = [sys.executable, __file__, "--one", config, "--src", str(tmp / "src"), "--out", str(tmp / f"out-{config}"),
           "--model", args.model, "--layers", args.layers, "--batch", str(args.batch)]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=192)
    p.add_argument("--model", default="resnet50")
    p.add_argument("--layers", default="layer3,layer4")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--no-ray", action="store_true")
    p.add_argument("--no-record", action="store_true")
    p.add_argument("--interleave", type=int, default=0,
                   help="instead: N rounds of (bare loops, local scan) in one process; ratios per round")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)
    p.add_argument("--src", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(interleaved(args) if args.one == "interleaved" else one(args)))
        return
    if args.interleave:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            make_folder(tmp / "src", args.images)
            cmd = [sys.executable, __file__, "--one", "interleaved", "--src", str(tmp / "src"), "--out",
                   str(tmp / "out"), "--model", args.model, "--layers", args.layers, "--batch", str(args.batch),
                   "--interleave", str(args.interleave)]
            done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
            if done.returncode:
                raise SystemExit(done.stderr[-3000:])
            figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(figures, indent=1))
        if not args.no_record:
            record_interleaved(args, figures)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_folder(tmp / "src", args.images)
        figures = {"bare": spawn("bare", args, tmp), "local": spawn("local", args, tmp)}
        if not args.no_ray:
            figures["ray"] = spawn("ray", args, tmp)
    peer = max(figures["bare"]["full_ips"], figures["bare"]["to_layer_ips"])
    for name in ("local", "ray"):
        if name in figures:
            figures[name]["ratio"] = figures[name]["ips"] / peer
    print(json.dumps(figures, indent=1))
    if not args.no_record:
        record(args, figures, peer)


def record(args, figures: dict, peer: float) -> None:
    command = "benchmarks/bench_examples.py " + " ".join(sys.argv[1:])
    bare = figures["bare"]
    lines = [
        "",
        f"## bench_examples — dataset examples against a bare forward loop — {dt.date.today().isoformat()}",
        "",
        f"Machine: {os.cpu_count()}-core AMD EPYC (AVX-512, avx512_bf16), no GPU, shared with other work "
        f"(load average {os.getloadavg()[0]:.1f} at the end); Python {platform.python_version()}.",
        f"Command: `.venv/bin/python {command}`",
        f"{args.images} JPEGs 640x480, {args.model} (random weights) {args.layers}, batch {args.batch}, k 9, "
        "224 px inputs (resize + centre crop), float32.",
        "",
        "| configuration | images/s | ratio to the bare loop | scan s | wall s | peak RSS |",
        "|---|---|---|---|---|---|",
        f"| bare `model(x)` loop, decoded beforehand | {bare['full_ips']:.2f} | — | | | {bare['peak_rss_mb']:.0f} MB |",
        f"| bare loop stopped at {args.layers.split(',')[-1]} | {bare['to_layer_ips']:.2f} | — | | | |",
    ]
    for name, label in (("local", "local: DataLoader decoders + model here"), ("ray", "Ray Data, 2 model actors")):
        if name in figures:
            f = figures[name]
            lines.append(f"| {label} | {f['ips']:.2f} | **{f['ratio']:.2f}** | {f['scan_s']:.1f} | {f['wall_s']:.1f} "
                         f"| {f['peak_rss_mb']:.0f} MB |")
    lines += ["", f"Peer: the faster bare loop, {peer:.2f} images/s. Ratio = images/s of the scan (decoding, forward "
              "to the deepest layer, top-k) / peer.", ""]
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n")
    with open(RESULTS, "a") as out:
        out.write("\n".join(lines))


def record_interleaved(args, figures: dict) -> None:
    command = "benchmarks/bench_examples.py " + " ".join(sys.argv[1:])
    lines = [
        "",
        f"## bench_examples --interleave — bare loop and scan alternating in one process — {dt.date.today().isoformat()}",
        "",
        f"Machine: {os.cpu_count()}-core AMD EPYC (AVX-512, avx512_bf16), no GPU, shared with other work; "
        f"Python {platform.python_version()}.",
        f"Command: `.venv/bin/python {command}`",
        f"{args.images} JPEGs 640x480, {args.model} (random weights) {args.layers}, batch {args.batch}, k 9, 224 px.",
        "",
        "| round | bare full img/s | bare to layer img/s | local scan img/s | ratio | load (1 min) |",
        "|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(figures["rounds"]):
        lines.append(f"| {i} | {r['full_ips']:.2f} | {r['to_layer_ips']:.2f} | {r['local_ips']:.2f} | "
                     f"**{r['ratio']:.2f}** | {r['load']:.1f} |")
    ratios = sorted(r["ratio"] for r in figures["rounds"])
    lines += ["", f"Median ratio {ratios[len(ratios) // 2]:.2f}; peak RSS {figures['peak_rss_mb']:.0f} MB.", ""]
    with open(RESULTS, "a") as out:
        out.write("\n".join(lines))


if __name__ == "__main__":
    main()
