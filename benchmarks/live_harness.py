"""A real JupyterLab + Chromium (fake camera) session running CNNExplorer live, for bench_live.py and soak_live.py.

Uses the e2e suite's settings (tests/e2e/conftest.py: Chromium flags, Lab settings, kernelspec)
so benchmarks and tests run the same way. Chromium is Debian's (/usr/bin/chromium); the fake
camera shows a moving test pattern at CAMERA_FPS (30), which caps the frame rate.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, KERNELSPEC, LAB_SETTINGS  # noqa: E402
from tests.e2e.delay_proxy import DelayProxy  # noqa: E402

CAMERA_FPS = 30
"""Frame rate of the fake camera, as a typical webcam's. Chromium's fake device runs at 20 fps
unless told otherwise, which would cap every live figure at 20."""
BROWSER_ARGS = [f"--use-fake-device-for-media-stream=fps={CAMERA_FPS}" if a == "--use-fake-device-for-media-stream" else a
                for a in CHROMIUM_ARGS]

HUD_JS = """() => {
  const d = document.querySelector('[data-testid=live-stats]').dataset;
  return { now: performance.now(), frames: +d.frames, fps: +d.fps, latency: d.latencyMs === '' ? null : +d.latencyMs,
           heap: performance.memory ? performance.memory.usedJSHeapSize : null,
           parts: d.waitMs === undefined ? null : { wait: +d.waitMs, trip: +d.tripMs, kernel: +d.kernelMs, draw: +d.drawMs } };
}"""


def _process_kind(p) -> str | None:
    try:
        cmd = " ".join(p.cmdline())
    except Exception:
        return None
    if "ipykernel" in cmd:
        return "kernel"
    if "jupyterlab" in cmd:
        return "jupyter server"
    if "--type=renderer" in cmd:
        return "chromium renderer"
    if "--type=gpu-process" in cmd:
        return "chromium compositor (gpu process)"
    if "chrom" in cmd:
        return "chromium browser + utilities"
    return "playwright driver" if "node" in cmd else None


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) used so far by this process's descendants, by kind, and by
    this process itself (the delaying proxy's thread runs in it).

    Differences over a measurement, divided by the frames drawn, give each part's CPU cost
    per frame; unlike wall-clock figures they hardly depend on what else loads the machine.
    """
    import psutil

    out: dict[str, float] = {}
    for p in psutil.Process().children(recursive=True):
        kind = _process_kind(p)
        if kind:
            try:
                t = p.cpu_times()
            except psutil.Error:
                continue
            out[kind] = out.get(kind, 0.0) + t.user + t.system
    own = psutil.Process().cpu_times()
    out["harness (delay proxy, Playwright client)"] = own.user + own.system
    return out


def machine() -> str:
    cores = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cores}-core CPU ({platform.processor() or platform.machine()}), no GPU; browser and kernel share it; "
            f"load average {load:.1f} at start")


def record(text: str) -> None:
    """Append ``text`` (a section with its command and figures) to benchmarks/RESULTS.md."""
    results = REPO / "benchmarks" / "RESULTS.md"
    if not results.exists():
        results.write_text("# Benchmark results\n\nFigures as measured, newest last, with the command that produced them.\n\n")
    with results.open("a") as fh:
        fh.write(("" if results.read_text().endswith("\n\n") else "\n") + text + "\n")


def build_bundle() -> None:
    subprocess.run(["node", "build.mjs"], cwd=REPO, check=True, capture_output=True, timeout=120)


class LiveSession:
    """An open notebook whose first cell shows ``CNNExplorer`` (resnet18, random weights, ``layer``)."""

    def __init__(self, page, server_url: str, root: Path, name: str, reattach=None):
        self.page, self.url, self.root, self.name = page, server_url, root, name
        self._reattach = reattach  # detached mode: () -> (detach, page) for a fresh CDP connection
        self._detach = None

    def detach(self) -> None:
        """Drop the automation connection while measuring (detached mode only).

        An attached Playwright driver has Chromium copy every WebSocket frame (base64 of the
        200 KB camera frames) into its protocol events, CPU a user's browser never spends.
        """
        if self._reattach is not None and self._detach is None:
            self._detach = self._reattach.pop("detach")
            self._detach()

    def attach(self) -> None:
        if self._reattach is not None and self._detach is not None:
            self._detach = None
            self._reattach["detach"], self.page = self._reattach["connect"]()

    # ----- notebook -----
    def run_cell(self, index: int, timeout_s: float = 300) -> str:
        cell = self.page.locator(".jp-Notebook .jp-Cell").nth(index)
        prompt = cell.locator(".jp-InputPrompt")
        before = prompt.inner_text().strip()
        cell.locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Shift+Enter")
        deadline = time.monotonic() + timeout_s
        while True:
            text = prompt.inner_text().strip()
            if re.match(r"^\[\d+\]:?$", text) and text != before:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"cell {index} still shows {text!r}")
            self.page.wait_for_timeout(100)
        return "\n".join(cell.locator(".jp-OutputArea-output").all_inner_texts())

    def kernel_json(self) -> dict:
        """The last line of cell 1's output: ``json.dumps({...})`` of the kernel's figures."""
        return json.loads(self.run_cell(1).strip().splitlines()[-1])

    def kernel_exec(self, code: str) -> dict:
        """Run ``code`` in the kernel (through cell 2, which executes the file it is written to) and
        return what it leaves in ``out`` (a dict), as JSON through the cell's output."""
        (self.root / "bench_command.py").write_text(code)
        return json.loads(self.run_cell(2).strip().splitlines()[-1])

    # ----- live -----
    def hud(self) -> dict:
        return self.page.evaluate(HUD_JS)

    def start(self, timeout_ms: float = 120_000) -> None:
        self.page.get_by_test_id("webcam-start").click()
        self.page.wait_for_function(
            "() => +document.querySelector('[data-testid=live-stats]').dataset.frames >= 1", timeout=timeout_ms)

    def stop(self) -> None:
        self.page.get_by_test_id("webcam-stop").click()

    def set_mode(self, mode: str) -> None:
        self.page.get_by_test_id("live-mode").select_option(mode)
        self.page.wait_for_function(
            "m => document.querySelector('[data-testid=live-view]').dataset.mode === m", arg=mode, timeout=120_000)

    def measure(self, seconds: float, sample_s: float = 1.0) -> dict:
        """Frames per second and latency over ``seconds``, read from the HUD every ``sample_s``.

        fps is (frames drawn) / (page clock elapsed); the latency p50 is the median of the HUD's
        rolling p50 (last 60 frames) sampled each second, and ``latency_parts_ms`` the same for each
        part of it (camera to send, network and queues, kernel, draw: js/liveHud.ts); ``cpu_ms_per_frame`` is the CPU time
        each part (kernel, Jupyter server, Chromium's processes) spent per frame drawn.
        """
        cpu0 = cpu_seconds()
        first = self.hud()
        samples = [first]
        if self._reattach is not None:  # detached: one reading at each end
            self.detach()
            time.sleep(seconds)
            cpu1 = cpu_seconds()
            self.attach()
            samples.append(self.hud())
        while samples[-1]["now"] - first["now"] < seconds * 1000:
            self.page.wait_for_timeout(sample_s * 1000)
            samples.append(self.hud())
        last = samples[-1]
        if self._reattach is None:
            cpu1 = cpu_seconds()
        latencies = sorted(s["latency"] for s in samples[1:] if s["latency"] is not None)
        frames = last["frames"] - first["frames"]
        parts = [s["parts"] for s in samples[1:] if s.get("parts")]
        parts_p50 = {k: sorted(p[k] for p in parts)[len(parts) // 2] for k in parts[0]} if parts else None
        return {
            "seconds": round((last["now"] - first["now"]) / 1000, 2),
            "frames": frames,
            "fps": round(frames / ((last["now"] - first["now"]) / 1000), 2),
            "latency_p50_ms": latencies[len(latencies) // 2] if latencies else None,
            "latency_parts_ms": parts_p50,
            "cpu_ms_per_frame": {k: round((cpu1[k] - cpu0.get(k, 0.0)) * 1000 / max(frames, 1), 1)
                                 for k in sorted(cpu1, key=lambda k: cpu0.get(k, 0.0) - cpu1[k])},
            "samples": samples,
        }


@contextmanager
def live_session(layer: str = "layer3", setup: str = "", kernel_threads: int | None = None, headless: bool = True,
                 kernel_env: dict | None = None,
                 detached: bool = False, live_options: dict | None = None, rtt_ms: float = 0.0,
                 server_nodelay: bool = True, mbps: float = 0.0):
    """JupyterLab + Chromium with the explorer shown; yields a :class:`LiveSession`.

    ``setup`` is extra Python run in the first cell before the explorer is made; ``live_options``
    are set on the explorer; ``detached``: measure with Playwright disconnected (LiveSession.detach);
    ``kernel_threads`` sets OMP_NUM_THREADS for the kernel (None: leave torch's default);
    ``rtt_ms`` > 0 puts Chromium behind a TCP proxy that delays each chunk by half of it each way
    (``tests/e2e/delay_proxy.py``): a remote kernel. ``kernel_env`` adds variables to the kernel's
    environment (e.g. ``ATEN_CPU_CAPABILITY=avx2``). ``server_nodelay=False`` starts the server
    without cnnwidget's extension (kernel WebSockets keep Nagle's algorithm, as before it).
    ``mbps`` > 0 limits the proxy's bandwidth each way (a slow link).
    """
    from playwright.sync_api import sync_playwright

    build_bundle()
    with tempfile.TemporaryDirectory(prefix="cnnwidget-live-") as tmp:
        base = Path(tmp)
        root, home = base / "root", base / "home"
        root.mkdir()
        for rel, value in LAB_SETTINGS.items():
            (home / "settings" / rel).parent.mkdir(parents=True, exist_ok=True)
            (home / "settings" / rel).write_text(json.dumps(value))
        env = dict(os.environ, PYTHONPATH=str(REPO), JUPYTER_CONFIG_DIR=str(home / "config"),
                   JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                   JUPYTER_PLATFORM_DIRS="1", IPYTHONDIR=str(home / "ipython"))
        if kernel_threads:
            env["OMP_NUM_THREADS"] = str(kernel_threads)
        env.update(kernel_env or {})
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        log = open(base / "lab.log", "wb")
        lab = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
             "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
             "--ServerApp.disable_check_xsrf=True", "--allow-root", "--LabApp.news_url=None",
             f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'ws'}",
             *([] if server_nodelay else ["--ServerApp.jpserver_extensions=cnnwidget_server=False"])],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(url + "/api", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline or lab.poll() is not None:
                        raise RuntimeError("JupyterLab did not start:\n" + (base / "lab.log").read_text()[-3000:])
                    time.sleep(0.25)
            cells = [
                "import json, os, torch, torchvision\nfrom cnnwidget import CNNExplorer\n" + setup +
                f"\ntorch.manual_seed(0)\nex = CNNExplorer(torchvision.models.resnet18(), layer={layer!r}, auto_maximize=False)\n"
                f"ex.live_options = {live_options or {}!r}\nex",
                "import psutil\nfrom cnnwidget.engine.precision import resolve_precision\nprint(json.dumps({**ex.live_stats, 'rss_mb': psutil.Process().memory_info().rss / 2**20, "
                "'threads': torch.get_num_threads(), 'live_threads': ex._live_worker.threads, 'pid': os.getpid(), 'cpu_capability': torch.backends.cpu.get_cpu_capability(), 'side': ex._live_side.side, 'dream_side': ex._live_dream_side.side, 'size_option': ex.live_options['size'], "
                "'precision': ex._live_last_run.get('precision') or resolve_precision(ex.live_options['precision'], torch.device('cpu'))}))",
                "out = {}\nexec(open('bench_command.py').read())\nprint(json.dumps(out))",
            ]
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells],
                                          metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
            nbformat.write(nb, root / "live_bench.ipynb")
            with DelayProxy(port, rtt_ms, mbps) as proxy, sync_playwright() as p:
                page_url = (proxy.url if rtt_ms > 0 or mbps > 0 else url) + "/lab/tree/live_bench.ipynb?reset"
                reattach = None
                if detached:
                    reattach, page, chromium = _own_chromium(p, base, page_url, headless)
                    browser = None
                else:
                    browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=headless, args=BROWSER_ARGS)
                    context = browser.new_context(permissions=["camera"], viewport={"width": 1400, "height": 1000})
                    page = context.new_page()
                    page.goto(page_url)
                page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
                _wait_kernel_idle(url, "live_bench.ipynb")
                session = LiveSession(page, url, root, "live_bench.ipynb", reattach)
                session.run_cell(0)
                page.get_by_test_id("activation-grid").get_by_test_id("unit").first.wait_for(timeout=240_000)
                page.get_by_test_id("live-panel").scroll_into_view_if_needed()  # the view itself shows once the camera runs
                try:
                    yield session
                finally:
                    if browser is not None:
                        browser.close()
                    else:
                        session.attach()
                        reattach["detach"]()
                        chromium.terminate()
                        chromium.wait(timeout=15)
        finally:
            try:
                urllib.request.urlopen(urllib.request.Request(url + "/api/shutdown", method="POST"), timeout=5)
                lab.wait(timeout=15)
            except Exception:
                os.killpg(lab.pid, 15)
                lab.wait(timeout=15)
            log.close()


def _own_chromium(p, base: Path, url: str, headless: bool):
    """Chromium started by us with a DevTools port, so Playwright can disconnect and reconnect."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [str(CHROMIUM), *BROWSER_ARGS, "--use-fake-ui-for-media-stream", f"--remote-debugging-port={port}",
            f"--user-data-dir={base / 'chromium'}", "--window-size=1400,1000", "--headless=new" if headless else "", url]
    chromium = subprocess.Popen([a for a in args if a], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def connect():
        deadline = time.monotonic() + 60
        while True:
            try:
                browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)
        pages = [pg for ctx in browser.contexts for pg in ctx.pages if "/lab" in pg.url]
        return browser.close, pages[0]

    detach, page = connect()
    return {"detach": detach, "connect": connect}, page, chromium


def _wait_kernel_idle(url: str, name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sessions = json.loads(urllib.request.urlopen(url + "/api/sessions", timeout=5).read())
        for s in sessions:
            if s.get("path") == name:
                kernel = json.loads(urllib.request.urlopen(f"{url}/api/kernels/{s['kernel']['id']}", timeout=5).read())
                if kernel["execution_state"] == "idle":
                    return
        time.sleep(0.25)
    raise TimeoutError(f"kernel for {name} not idle after {timeout}s")
