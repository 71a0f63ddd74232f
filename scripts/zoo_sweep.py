"""Run cnnwidget.diagnostics.compat.check_model over the model zoo and write docs/compatibility.md.

    .venv/bin/python scripts/zoo_sweep.py                  # full sweep: transformers first, then CNNs
    .venv/bin/python scripts/zoo_sweep.py --part transformers --resume   # transformers only, keep passes
    .venv/bin/python scripts/zoo_sweep.py --timm 10 --only resnet        # a quick look

Each checked model's row is written at once, so a sweep that is stopped can go on with ``--resume``
(passing rows are kept, the rest checked again).
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
from cnnwidget.diagnostics.zoo import timm_cnns, timm_transformers, torchvision_cnns, torchvision_transformers

OUT = Path(__file__).resolve().parent.parent / "docs" / "compatibility.md"

GROUPS = {
    "timm-transformers": "timm (seeded sample of {n} transformer and hybrid architectures, seed {seed})",
    "tv-transformers": "torchvision classification transformers (vit_*, swin_*, swin_v2_*, maxvit_t)",
    "tv-cnns": "torchvision (classification CNNs + segmentation/detection backbones)",
    "timm-cnns": "timm (seeded sample of {n} CNN architectures, seed {seed})",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timm", type=int, default=110, help="how many timm CNNs to sample")
    parser.add_argument("--transformers", type=int, default=60, help="how many timm transformers/hybrids to sample")
    parser.add_argument("--part", choices=("all", "transformers", "cnns"), default="all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=128, help="input size for the checks (models that take one size only are fed theirs)")
    parser.add_argument("--only", default="", help="only models whose name contains this")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--resume", action="store_true", help="keep the passing rows of --out that carry layouts; check the rest")
    args = parser.parse_args(argv)
    groups: dict[str, dict] = {}
    if args.part in ("all", "transformers"):
        groups["timm-transformers"] = timm_transformers(args.transformers, args.seed)
        heavy = ("vit_h", "vit_l", "_b")  # the largest torchvision transformers last
        tv = torchvision_transformers()
        groups["tv-transformers"] = dict(sorted(tv.items(), key=lambda kv: any(h in kv[0] for h in heavy)))
    if args.part in ("all", "cnns"):
        groups["tv-cnns"] = torchvision_cnns()
        groups["timm-cnns"] = timm_cnns(args.timm, args.seed)
    zoo = {name: (group, build) for group, models in groups.items() for name, build in models.items()}
    zoo = {k: v for k, v in zoo.items() if args.only in k}
    kept = previous_rows(args.out) if args.resume else {}
    # a kept row must have passed with the layout-aware checks (older rows have no layouts column)
    rows = {name: kept[name] for name in zoo if name in kept and kept[name][1] == "pass" and kept[name][3]}
    start = time.perf_counter()
    for i, (name, (group, build)) in enumerate(zoo.items(), 1):
        if name in rows:
            continue
        try:
            model = build()
            report = check_model(model, input_size=args.size)
            status = "pass" if report.ok else "FAIL"
            detail = "; ".join(f"{k}: {v}" for k, v in report.failures.items()) or "; ".join(report.changed[:3])
            layouts = ", ".join(f"{k} {v}" for k, v in sorted(report.layouts.items()))
            rows[name] = (name, status, str(report.layers), layouts, f"{report.layer} ({report.layout}) @ {report.input_size} px",
                          f"{report.seconds:.1f}", detail)
        except Exception as err:  # noqa: BLE001 - a model that cannot even be built
            rows[name] = (name, "FAIL", "0", "", "", "", f"build: {type(err).__name__}: {err}")
        print(f"[{i}/{len(zoo)}] {name}: {rows[name][1]} {rows[name][6]}", flush=True)
        model = None
        gc.collect()
        write_report(args, zoo, rows, time.perf_counter() - start)
    write_report(args, zoo, rows, time.perf_counter() - start)
    return 0


def previous_rows(path: Path) -> dict[str, tuple]:
    """Rows of an earlier report, by model name (older six-column rows get an empty layout column)."""
    if not path.is_file():
        return {}
    rows = {}
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[1] in ("pass", "FAIL"):
            cells = cells[:3] + [""] + cells[3:]
        if len(cells) == 7 and cells[1] in ("pass", "FAIL"):
            rows[cells[0]] = (cells[0], cells[1], cells[2], cells[3], cells[4].strip("`"), cells[5], cells[6])
    return rows


def write_report(args, zoo, rows, seconds: float) -> None:
    def rate(group):
        names = [n for n, (g, _) in zoo.items() if g == group]
        done = [rows[n] for n in names if n in rows]
        passed = sum(r[1] == "pass" for r in done)
        share = f" ({100 * passed / len(done):.0f} %)" if done else ""
        return f"**{passed}/{len(done)}** pass{share}" + (f", {len(names) - len(done)} not yet checked" if len(done) < len(names) else "")

    counts = {g: sum(1 for gg, _ in zoo.values() if gg == g) for g in GROUPS}
    lines = [
        "# Compatibility: the model-zoo sweep",
        "",
        "Each model is built with random weights and checked by `cnnwidget.diagnostics.compat.check_model`: "
        "`layers`, `activations` on the middle layer (its grid must have the layer's real channel count), "
        "a 2-step `maximize` and a 1-octave `deepdream`; every listed layer's channel count must equal "
        "what its own weights produce (`Conv2d.out_channels`, `LayerNorm.normalized_shape`, ...); then the "
        "model's complete state (parameters, buffers, every `training` flag, `requires_grad`, grads, hook "
        "dictionaries) is compared with its state before.",
        "",
        "Layouts: `nchw` (N, C, H, W); `nhwc` (N, H, W, C), channels-last stages and norms; `tokens` "
        "(N, P + H*W, C), transformer tokens on the patch grid. Models that take only one input size "
        "(fixed position embeddings) are fed their own size: pictures are resized to it, never the "
        "position embeddings interpolated.",
        "",
    ]
    for group, text in GROUPS.items():
        if counts.get(group):
            n = args.transformers if group == "timm-transformers" else args.timm
            lines.append(f"- {text.format(n=n, seed=args.seed)}: {rate(group)}")
    lines += [
        f"- {len(rows)} of {len(zoo)} models checked" + (" (sweep still running)" if len(rows) < len(zoo) else ""),
        f"- input size {args.size} px; {seconds / 60:.1f} min for this run on {platform.machine()} with "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}",
        f"- command: `.venv/bin/python scripts/zoo_sweep.py --part {args.part} --transformers {args.transformers} "
        f"--timm {args.timm} --seed {args.seed} --size {args.size}" + (" --resume" if args.resume else "") + "`",
        "",
        "| model | result | layers | layouts | middle layer (layout) @ input size | seconds | failure |",
        "|---|---|---|---|---|---|---|",
    ]
    ordered = [rows[n] for n in zoo if n in rows] + [r for n, r in rows.items() if n not in zoo]
    lines += [f"| {n} | {s} | {l} | {lay} | `{m}` | {t} | {d.replace('|', '/')} |" for n, s, l, lay, m, t, d in ordered]
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
