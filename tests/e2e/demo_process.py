"""The README's demo command as a process: started as a newcomer starts it, its output collected.

Shared by tests/e2e/test_demo.py and benchmarks/bench_first_run.py.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path


def readme_demo_command(repo: Path) -> str:
    """The README set-up block's demo command (the line marked ``# demo``), without its comment."""
    readme = (repo / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    demo = next(line for line in block.splitlines() if "# demo" in line)
    return demo.split("#", 1)[0].strip()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def newcomer_env(jupyter_home: Path, port: int) -> dict[str, str]:
    """This process's environment as a newcomer's shell would have it: no PYTHONPATH, Jupyter's
    configuration, data and runtime folders empty (under ``jupyter_home``), the port chosen."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update(
        PORT=str(port),
        BROWSER="true",  # never start a desktop browser from a test
        JUPYTER_CONFIG_DIR=str(jupyter_home / "config"),
        JUPYTER_DATA_DIR=str(jupyter_home / "data"),
        JUPYTER_RUNTIME_DIR=str(jupyter_home / "runtime"),
        IPYTHONDIR=str(jupyter_home / "ipython"),
    )
    return env


class DemoProcess:
    """A shell command running in its own process group; its output is collected line by line."""

    def __init__(self, command: str, cwd: Path, env: dict[str, str]):
        self.lines: list[str] = []
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            ["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        """Everything the command printed so far (stdout and stderr)."""
        return "\n".join(self.lines)

    def wait_for_url(self, timeout: float) -> str:
        """The first URL the command prints; fails if it exits first or prints none in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                found = re.search(r"https?://\S+", line)
                if found:
                    return found.group(0)
            if self.process.poll() is not None:
                raise AssertionError(f"the demo exited with {self.process.returncode} before printing a URL:\n{self.output}")
            time.sleep(0.1)
        raise AssertionError(f"no URL printed within {timeout}s:\n{self.output}")

    def stop(self) -> int:
        """Ctrl+C (SIGINT to the group), then SIGTERM and SIGKILL if needed; the exit code."""
        for sig, wait in ((signal.SIGINT, 15), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        self._reader.join(timeout=5)
        return self.process.wait(timeout=10)


def run_all_cells(page, kernel_ms: float = 180_000) -> None:
    """JupyterLab's Run ▸ Run All Cells, through the menu as a person would, once the notebook's
    kernel shows idle in the toolbar; retried until a cell shows it is queued or has run."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(timeout=kernel_ms)
    page.locator(".jp-Notebook .jp-Cell").first.click()  # the notebook is the current document
    started = page.locator(".jp-Notebook .jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]"))
    for _ in range(3):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        try:
            started.first.wait_for(timeout=30_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError("Run ▸ Run All Cells did not start the notebook's cells")
