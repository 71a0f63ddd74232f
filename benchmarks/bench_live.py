"""Live webcam mode end to end: real JupyterLab, Chromium's fake camera, resnet18 (random weights).

Measures, as the user sees them on the widget's HUD (data-testid="live-stats"):
  * live maps, layer3, 224 px frames:  frames per second and p50 camera-to-screen latency
    (goals, issue 6: >= 25 fps, p50 <= 60 ms)
  * live DeepDream, 224 px:             frames per second (goal >= 5 fps)
plus the kernel's own time per frame (``ex.live_stats["kernel_ms_p50"]``), which tells the
kernel's share from the rest (transport, decoding and drawing in the browser).

The fake camera is set to 30 fps (live_harness.CAMERA_FPS; Chromium defaults to 20), the ceiling. Browser and kernel share this machine.

--rtt-ms 50 puts a TCP proxy with that round trip between Chromium and JupyterLab (a remote
kernel; goal: >= 25 fps, p50 <= RTT + 60 ms). --mbps 20 limits that link's bandwidth each way
(with --frame-format jpeg: frames as JPEG). --no-server-nodelay starts Jupyter's server without
cnnwidget's extension (cnnwidget_server: TCP_NODELAY on kernel WebSockets). --avx2 restricts the kernel's PyTorch and oneDNN to
AVX2 (ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2), as on most laptops and cloud VMs.

Run:  .venv/bin/python benchmarks/bench_live.py [--seconds 20] [--rtt-ms 50] [--avx2] [--record]
      (--record appends the figures to benchmarks/RESULTS.md)

--levers measures each lever before and after, A/B in the same session (settings alternated
A B B A, each --seconds long after a warm-up), and prints one table: lever, setting, fps, p50
latency, the kernel's time per frame, and in every row the CPU capability, the precision the
frames ran in and their side. The levers (see LEVERS): precision float32 vs int8, input size
224 px vs adaptive, 1 vs 2 torch threads on the live thread, class scores every frame off vs on,
camera frames from the playing video vs straight from the camera track, frames sent as raw RGBA vs
JPEG, the frame handler waiting
for its answer vs the kernel's idle held until the answer, and for live DeepDream the side (224 px vs adaptive) and steps per frame.

      .venv/bin/python benchmarks/bench_live.py --levers --avx2 --seconds 8 [--rtt-ms 50] [--record]
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_harness import live_session, machine, record  # noqa: E402

GOALS = {"maps_fps": 25.0, "maps_p50_ms": 60.0, "dream_fps": 5.0}


def run(seconds: float, warmup: float, threads: int | None, detached: bool, live_options: dict,
        rtt_ms: float = 0.0, kernel_env: dict | None = None, server_nodelay: bool = True, mbps: float = 0.0) -> dict:
    with live_session(layer="layer3", kernel_threads=threads, detached=detached, live_options=live_options,
                      rtt_ms=rtt_ms, kernel_env=kernel_env, server_nodelay=server_nodelay, mbps=mbps) as s:
        s.start()
        s.page.wait_for_timeout(warmup * 1000)
        maps = s.measure(seconds)
        maps_kernel = s.kernel_json()
        s.set_mode("dream")
        s.page.wait_for_timeout(warmup * 1000)
        dream = s.measure(seconds)
        dream_kernel = s.kernel_json()
        s.stop()
    return {"maps": maps, "maps_kernel": maps_kernel, "dream": dream, "dream_kernel": dream_kernel,
            "attached": not detached, "rtt_ms": rtt_ms, "server_nodelay": server_nodelay, "mbps": mbps}


def cpu(run: dict) -> str:
    parts = run["cpu_ms_per_frame"]
    total = sum(parts.values())
    return (", ".join(f"{k} {v} ms" for k, v in parts.items()) +
            f"; total {total:.1f} ms, so at most {2000 / max(total, 1e-6):.1f} fps on two idle cores")


def parts_text(run: dict) -> str:
    parts = run.get("latency_parts_ms")
    if not parts:
        return "not measured"
    names = {"wait": "camera to send", "trip": "network and queues", "kernel": "kernel", "draw": "draw and paint"}
    return ", ".join(f"{names[k]} {v:g}" for k, v in parts.items())


def side_text(kernel: dict) -> str:
    """The frame side of a run: the fixed live_options size, or the adaptive side at the end."""
    fixed = kernel.get("size_option")
    return f"{fixed} px (fixed)" if fixed not in (None, "auto") else f"{kernel.get('side')} px at the end (adaptive side)"


def report(r: dict, command: str, where: str) -> str:
    m, d = r["maps"], r["dream"]
    rtt = r.get("rtt_ms", 0.0)
    p50_goal = GOALS["maps_p50_ms"] + rtt
    link = f", {r['mbps']:g} Mbit/s each way" if r.get("mbps") else ""
    ok = lambda good: "meets" if good else "misses"  # noqa: E731
    lines = [
        f"## bench_live — live webcam mode — {datetime.date.today().isoformat()}",
        "",
        f"- Machine: {where}",
        f"- Command: `{command}`",
        f"- Torch threads: {r['maps_kernel'].get('live_threads')} on the kernel's live thread "
        f"({r['maps_kernel'].get('threads')} on its main thread); Playwright "
        f"{'attached' if r['attached'] else 'disconnected'} while measuring",
        f"- Live maps, resnet18 layer3, {side_text(r['maps_kernel'])}, {m['seconds']} s: **{m['fps']} fps** "
        f"({ok(m['fps'] >= GOALS['maps_fps'])} >= 25), **p50 latency {m['latency_p50_ms']} ms** "
        f"({ok(m['latency_p50_ms'] is not None and m['latency_p50_ms'] <= p50_goal)} <= {p50_goal:g}); "
        f"kernel time per frame p50 {r['maps_kernel'].get('kernel_ms_p50')} ms; "
        f"CPU capability {r['maps_kernel'].get('cpu_capability')}, precision {r['maps_kernel'].get('precision')}, "
        f"round trip browser-server {rtt:g} ms (delaying proxy)"
        f"{link}; server extension (TCP_NODELAY) "
        f"{'on' if r.get('server_nodelay', True) else 'off'}",
        f"- Live DeepDream, layer3, {side_text({**r['dream_kernel'], 'side': r['dream_kernel'].get('dream_side')})}, "
        f"precision {r['dream_kernel'].get('precision')}, {d['seconds']} s: **{d['fps']} fps** "
        f"({ok(d['fps'] >= GOALS['dream_fps'])} >= 5), p50 latency {d['latency_p50_ms']} ms; "
        f"kernel time per frame p50 {r['dream_kernel'].get('kernel_ms_p50')} ms",
        f"- Where the live-maps latency goes (p50 of each part, ms): {parts_text(m)}; of the network and "
        f"queues, waiting in the kernel behind the frame before: p50 {r['maps_kernel'].get('queue_ms_p50')} ms",
        f"- CPU time per live-maps frame: {cpu(m)}",
        f"- CPU time per live-dream frame: {cpu(d)}",
        "",
    ]
    return "\n".join(lines)


# (lever, mode, [(setting, live_options, kernel code run before the setting)]); options not named stay 'auto'.
NO_PREDICTIONS = "ex._bench_rows = ex._bench_rows if hasattr(ex, '_bench_rows') else ex.predictions\nex.predictions = []"
PREDICTIONS = "ex.predictions = getattr(ex, '_bench_rows', ex.predictions) or ex.predictions"
HANDLER_WAITS = "import cnnwidget.widget.live.feature as _live\n_live.HOLD_IDLE = False"
IDLE_HELD = "import cnnwidget.widget.live.feature as _live\n_live.HOLD_IDLE = True"
LEVERS = [
    ("precision", "maps", [("float32", {"precision": "float32", "size": 224}, ""),
                           ("int8", {"precision": "int8", "size": 224}, "")]),
    ("input size", "maps", [("224 px fixed", {"size": 224}, ""), ("adaptive", {"size": "auto"}, "")]),
    # at a fixed side: with the adaptive side on, each setting would settle at a side of its own
    ("live torch threads", "maps", [("2", {"threads": 2, "size": 224}, ""), ("1", {"threads": 1, "size": 224}, "")]),
    ("class scores every frame", "maps", [("off", {"size": 224}, NO_PREDICTIONS), ("on", {"size": 224}, PREDICTIONS)]),
    ("frame capture", "maps", [("playing video", {"capture": "video"}, ""), ("camera track", {"capture": "auto"}, "")]),
    ("frame format", "maps", [("raw RGBA", {"frame_format": "rgba"}, ""), ("JPEG", {"frame_format": "jpeg"}, "")]),
    ("frame handler", "maps", [("waits for the answer", {}, HANDLER_WAITS), ("idle held until the answer", {}, IDLE_HELD)]),
    ("dream side", "dream", [("224 px fixed", {"size": 224}, ""), ("adaptive", {"size": "auto"}, "")]),
    ("dream steps per frame", "dream", [("2", {"dream_steps": 2, "size": 160}, ""), ("1", {"dream_steps": 1, "size": 160}, "")]),
]

READ_KERNEL = ("import torch\nout = {**ex.live_stats, **ex._live_last_run, 'capability': torch.backends.cpu.get_cpu_capability(),"
               " 'threads': ex._live_worker.threads}")
RESET_STATS = "from cnnwidget.widget.live.stats import LiveStats\nex._live_figures = LiveStats()\n"


def run_levers(seconds: float, warmup: float, threads: int | None, rtt_ms: float, kernel_env: dict | None,
               only: list[str] | None = None) -> list[dict]:
    """Every lever of LEVERS, A/B alternated in one session; one row per (lever, setting)."""
    rows = []
    with live_session(layer="layer3", kernel_threads=threads, detached=True, rtt_ms=rtt_ms, kernel_env=kernel_env) as s:
        s.start()
        mode = "maps"
        for lever, lever_mode, settings in LEVERS:
            if only and not any(o in lever for o in only):
                continue
            if lever_mode != mode:
                s.set_mode(lever_mode)
                mode = lever_mode
            figures: dict[str, list[dict]] = {name: [] for name, _, _ in settings}
            for name, options, code in [*settings, *settings[::-1]]:  # A B B A
                s.kernel_exec(f"{code}\nex.live_options = {{**ex.live_options, 'precision': 'auto', 'size': 'auto', 'capture': 'auto', 'frame_format': 'rgba', "
                              f"'threads': 'auto', 'dream_steps': 2, **{options!r}}}\n"
                              "ex._live_int8.wait()\n")
                s.page.wait_for_timeout(warmup * 1000)
                s.kernel_exec(RESET_STATS)
                m = s.measure(seconds)
                figures[name].append({**m, "kernel": s.kernel_exec(READ_KERNEL)})
            for name, _, _ in settings:
                runs = figures[name]
                k = runs[-1]["kernel"]
                lat = [r["latency_p50_ms"] for r in runs if r["latency_p50_ms"] is not None]
                kms = [r["kernel"].get("kernel_ms_p50") for r in runs if r["kernel"].get("kernel_ms_p50") is not None]
                parts = [r["latency_parts_ms"] for r in runs if r.get("latency_parts_ms")]
                rows.append({"lever": lever, "mode": lever_mode, "setting": name,
                             "parts": {k: round(sum(p[k] for p in parts) / len(parts), 1) for k in parts[0]} if parts else None,
                             "fps": round(sum(r["fps"] for r in runs) / len(runs), 1),
                             "latency_p50_ms": round(sum(lat) / len(lat), 1) if lat else None,
                             "kernel_ms_p50": round(sum(kms) / len(kms), 1) if kms else None,
                             "capability": k.get("capability"), "precision": k.get("precision"), "side": k.get("side"),
                             "threads": k.get("threads"), "rtt_ms": rtt_ms})
        s.stop()
    return rows


def levers_report(rows: list[dict], command: str, where: str) -> str:
    lines = [f"## bench_live --levers — each lever A/B in one session — {datetime.date.today().isoformat()}", "",
             f"- Machine: {where}", f"- Command: `{command}`",
             "- Settings alternated A B B A in one JupyterLab + Chromium session (fake camera at 30 fps, browser and "
             "kernel on the same cores); figures are the mean of the two runs of each setting. Other options: 'auto'.",
             "- Latency parts (p50, ms, js/liveHud.ts): camera to send / network and queues / kernel / draw and paint.",
             "", "| lever | setting | mode | fps | p50 latency ms | latency parts ms | kernel ms p50 | CPU capability | precision | side px | threads | RTT ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        parts = " / ".join(f"{v:g}" for v in r["parts"].values()) if r.get("parts") else "–"
        lines.append(f"| {r['lever']} | {r['setting']} | {r['mode']} | {r['fps']} | {r['latency_p50_ms']} | {parts} | "
                     f"{r['kernel_ms_p50']} | {r['capability']} | {r['precision']} | {r['side']} | {r['threads']} | {r['rtt_ms']:g} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement per mode (default 20)")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds before measuring each mode (default 4)")
    parser.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS of the kernel (default: torch's)")
    parser.add_argument("--live-threads", type=int, default=None,
                        help="live_options['threads'] of the explorer (default: 'auto')")
    parser.add_argument("--precision", default=None, help="live_options['precision'] (default: 'auto')")
    parser.add_argument("--size", type=int, default=None, help="live_options['size']: a fixed frame side (default: 'auto')")
    parser.add_argument("--attached", action="store_true",
                        help="keep Playwright attached while measuring (it then costs Chromium CPU per frame)")
    parser.add_argument("--rtt-ms", type=float, default=0.0,
                        help="round trip of a delaying TCP proxy between Chromium and JupyterLab (default 0: none)")
    parser.add_argument("--avx2", action="store_true",
                        help="restrict the kernel to AVX2 (ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2)")
    parser.add_argument("--mbps", type=float, default=0.0, help="bandwidth of the proxy's link each way (default: unlimited)")
    parser.add_argument("--frame-format", default=None, help="live_options['frame_format']: rgba (default) or jpeg")
    parser.add_argument("--no-server-nodelay", action="store_true",
                        help="start Jupyter's server without cnnwidget's extension (Nagle's algorithm on kernel WebSockets)")
    parser.add_argument("--record", action="store_true", help="append the figures to benchmarks/RESULTS.md")
    parser.add_argument("--levers", action="store_true", help="the before/after table of every lever, A/B in one session")
    parser.add_argument("--only", nargs="*", default=None, help="with --levers: only the levers whose name contains one of these words")
    args = parser.parse_args()
    where = machine()
    if args.levers:
        kernel_env = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"} if args.avx2 else None
        rows = run_levers(args.seconds, args.warmup, args.threads, args.rtt_ms, kernel_env, args.only)
        command = ".venv/bin/python benchmarks/bench_live.py " + shlex.join(a for a in sys.argv[1:] if a != "--record")
        text = levers_report(rows, command.strip(), where)
        print(text)
        if args.record:
            record(text)
        return
    options = {k: v for k, v in (("threads", args.live_threads), ("precision", args.precision), ("size", args.size),
                                 ("frame_format", args.frame_format)) if v is not None}
    kernel_env = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"} if args.avx2 else None
    result = run(args.seconds, args.warmup, args.threads, not args.attached, options, args.rtt_ms, kernel_env,
                 server_nodelay=not args.no_server_nodelay, mbps=args.mbps)
    command = ".venv/bin/python benchmarks/bench_live.py " + " ".join(a for a in sys.argv[1:] if a != "--record")
    text = report(result, command.strip(), where)
    print(text)
    if args.record:
        record(text)


if __name__ == "__main__":
    main()
