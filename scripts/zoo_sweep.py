"""Run cnnwidget.diagnostics.compat.check_model over the model zoo and write docs/compatibility.md.

    .venv/bin/python scripts/zoo_sweep.py                 # full sweep (about an hour on 2 cores)
    .venv/bin/python scripts/zoo_sweep.py --timm 10 --only resnet   # a quick look
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
from pathlib import Path

import torch

from cnnwidget.diagnostics.compat import check_model
from cnnwidget.diagnostics.zoo import timm_cnns, torchvision_cnns

OUT = Path(__file__).resolve().parent.parent / "docs" / "compatibility.md"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timm", type=int, default=110, help="how many timm CNNs to sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=128, help="input size for the checks")
    parser.add_argument("--only", default="", help="only models whose name contains this")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--resume", action="store_true", help="keep the passing rows of --out; check the rest")
    args = parser.parse_args(argv)
    zoo = {**torchvision_cnns(), **timm_cnns(args.timm, args.seed)}
    zoo = {k: v for k, v in zoo.items() if args.only in k}
    kept = previous_passes(args.out) if args.resume else {}
    rows = [kept[name] for name in zoo if name in kept]
    start = time.perf_counter()
    for i, (name, build) in enumerate(zoo.items(), 1):
        if name in kept:
            continue
        try:
            model = build()
            report = check_model(model, input_size=args.size)
            status = "pass" if report.ok else "FAIL"
            detail = "; ".join(f"{k}: {v}" for k, v in report.failures.items()) or "; ".join(report.changed[:3])
            rows.append((name, status, report.layers, f"{report.layer} @ {report.input_size} px", f"{report.seconds:.1f}", detail))
        except Exception as err:  # noqa: BLE001 - a model that cannot even be built
            rows.append((name, "FAIL", 0, "", "", f"build: {type(err).__name__}: {err}"))
        print(f"[{i}/{len(zoo)}] {rows[-1][0]}: {rows[-1][1]} {rows[-1][5]}", flush=True)
        model = None
        gc.collect()
        write_report(args, rows, time.perf_counter() - start, total=len(zoo))
    return 0


def previous_passes(path: Path) -> dict[str, tuple]:
    """Rows of an earlier report whose model passed, by model name."""
    if not path.is_file():
        return {}
    rows = {}
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[1] == "pass":
            rows[cells[0]] = (cells[0], "pass", cells[2], cells[3].strip("`"), cells[4], cells[5])
    return rows


def write_report(args, rows, seconds: float, total: int) -> None:
    tv = [r for r in rows if not r[0].startswith("timm:")]
    tm = [r for r in rows if r[0].startswith("timm:")]

    def rate(group):
        return f"{sum(r[1] == 'pass' for r in group)}/{len(group)}" if group else "0/0"

    lines = [
        "# Compatibility: the model-zoo sweep",
        "",
        "Each model is built with random weights and checked by `cnnwidget.diagnostics.compat.check_model`: "
        "`layers`, `activations` on the middle layer, a 2-step `maximize` and a 1-octave `deepdream`, "
        "then the model's complete state (parameters, buffers, every `training` flag, `requires_grad`, "
        "grads, hook dictionaries) is compared with its state before.",
        "",
        f"- torchvision (classification CNNs + segmentation/detection backbones): **{rate(tv)}** pass",
        f"- timm (seeded sample of {len(tm)} CNN architectures, seed {args.seed}): **{rate(tm)}** pass",
        f"- {len(rows)} of {total} models checked" + (" (sweep still running)" if len(rows) < total else ""),
        f"- input size {args.size} px; {seconds / 60:.1f} min on {platform.machine()} with "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}",
        f"- command: `.venv/bin/python scripts/zoo_sweep.py --timm {args.timm} --seed {args.seed} --size {args.size}`",
        "",
        "| model | result | layers | middle layer @ input size | seconds | failure |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {n} | {s} | {l} | `{m}` | {t} | {d.replace('|', '/')} |" for n, s, l, m, t, d in rows]
    args.out.write_text("\n".join(lines) + "\n")



if __name__ == "__main__":
    sys.exit(main())
