"""Live-mode soak (issue 7): stream Chromium's fake camera into CNNExplorer for many minutes.

Checks, over a real JupyterLab + Chromium session (resnet18, random weights, layer3, 224 px):
  * the kernel's resident memory grows by at most 50 MB from the first sample (after warm-up)
    to the last;
  * the frame rate is steady: the first and the last minute within 10% of each other.
Also reported: the page's JS heap (performance.memory), lowest and highest in the first and last minute.

Run:  .venv/bin/python benchmarks/soak_live.py [--minutes 10] [--mode maps|dream] [--record]
      (--record appends the figures to benchmarks/RESULTS.md; exit code 1 when a check fails)
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_harness import live_session, machine, record  # noqa: E402

RSS_GROWTH_MB = 50.0
FPS_DRIFT = 0.10
SAMPLE_S = 5.0
WARMUP_S = 10.0


def soak(minutes: float, mode: str, threads: int | None) -> dict:
    with live_session(layer="layer3", kernel_threads=threads) as s:
        kernel = psutil.Process(s.kernel_json()["pid"])
        if mode != "maps":
            s.set_mode(mode)
        s.start()
        s.page.wait_for_timeout(WARMUP_S * 1000)
        samples = []
        end = time.monotonic() + minutes * 60
        while True:
            hud = s.hud()
            samples.append({"t": hud["now"] / 1000, "frames": hud["frames"], "latency": hud["latency"],
                            "heap_mb": (hud["heap"] or 0) / 2**20, "rss_mb": kernel.memory_info().rss / 2**20})
            if time.monotonic() >= end:
                break
            s.page.wait_for_timeout(SAMPLE_S * 1000)
        stats = s.kernel_json()
        s.stop()
    return {"samples": samples, "kernel": stats}


def window_fps(samples: list[dict], start: float, stop: float) -> float:
    inside = [x for x in samples if start - 1e-6 <= x["t"] - samples[0]["t"] <= stop + 1e-6]
    return (inside[-1]["frames"] - inside[0]["frames"]) / max(inside[-1]["t"] - inside[0]["t"], 1e-6)


def heap_range(samples: list[dict], start: float, stop: float) -> str:
    """Lowest and highest JS heap in a window: garbage collection makes single samples jump."""
    inside = [x["heap_mb"] for x in samples if start - 1e-6 <= x["t"] - samples[0]["t"] <= stop + 1e-6]
    return f"{min(inside):.1f}–{max(inside):.1f}"


def summarize(r: dict, minutes: float) -> dict:
    s = r["samples"]
    span = s[-1]["t"] - s[0]["t"]
    minute = min(60.0, span / 2)
    first, last = window_fps(s, 0, minute), window_fps(s, span - minute, span)
    return {
        "span_s": round(span, 1),
        "frames": s[-1]["frames"] - s[0]["frames"],
        "fps_first_min": round(first, 2),
        "fps_last_min": round(last, 2),
        "fps_drift": round(abs(last - first) / max(first, 1e-6), 3),
        "rss_start_mb": round(s[0]["rss_mb"], 1),
        "rss_end_mb": round(s[-1]["rss_mb"], 1),
        "rss_max_mb": round(max(x["rss_mb"] for x in s), 1),
        "rss_growth_mb": round(s[-1]["rss_mb"] - s[0]["rss_mb"], 1),
        "heap_first_min_mb": heap_range(s, 0, minute),
        "heap_last_min_mb": heap_range(s, span - minute, span),
        "kernel_ms_p50": r["kernel"].get("kernel_ms_p50"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak (default 10)")
    parser.add_argument("--mode", choices=["maps", "dream"], default="maps")
    parser.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS of the kernel (default: torch's)")
    parser.add_argument("--record", action="store_true", help="append the figures to benchmarks/RESULTS.md")
    args = parser.parse_args()
    where = machine()
    f = summarize(soak(args.minutes, args.mode, args.threads), args.minutes)
    rss_ok = f["rss_growth_mb"] <= RSS_GROWTH_MB
    fps_ok = f["fps_drift"] <= FPS_DRIFT
    command = ".venv/bin/python benchmarks/soak_live.py " + " ".join(a for a in sys.argv[1:] if a != "--record")
    label = f"{args.minutes:g}-minute run" + ("" if args.minutes >= 10 else " (shorter than the 10-minute soak of issue 7)")
    text = "\n".join([
        f"## soak_live — live-mode soak, {label} — {datetime.date.today().isoformat()}",
        "",
        f"- Machine: {where}",
        f"- Command: `{command.strip()}`",
        f"- Live {args.mode}, resnet18 layer3, 224 px: {f['frames']} frames in {f['span_s']} s "
        f"(after {WARMUP_S:g} s warm-up); kernel time per frame p50 {f['kernel_ms_p50']} ms",
        f"- Frame rate: first minute {f['fps_first_min']} fps, last minute {f['fps_last_min']} fps, "
        f"drift {f['fps_drift'] * 100:.1f}% ({'within' if fps_ok else 'outside'} 10%)",
        f"- Kernel resident memory: {f['rss_start_mb']} -> {f['rss_end_mb']} MB (max {f['rss_max_mb']}), "
        f"growth {f['rss_growth_mb']} MB ({'within' if rss_ok else 'over'} 50 MB)",
        f"- Page JS heap (low–high): first minute {f['heap_first_min_mb']} MB, last minute {f['heap_last_min_mb']} MB",
        "",
    ])
    print(text)
    if args.record:
        record(text)
    return 0 if rss_ok and fps_ok else 1


if __name__ == "__main__":
    sys.exit(main())
