"""Shared by the click-to-maximize browser tests (JupyterLab, Notebook 7) and benchmarks/bench_click.py.

The kernel side prints what the page is compared with (``KERNEL_SETUP`` defines the helpers);
the page side watches the widget's ``data-*`` attributes with a MutationObserver and decodes
the pictures shown, so every check is against what the browser really displays.
"""

from __future__ import annotations

import re

JOB_MS = 90_000  # a short maximization or dream, end to end, on a loaded machine

KERNEL_SETUP = """\
import hashlib, threading, time
import numpy as np, torch, torchvision
from cnnwidget import CNNExplorer

torch.manual_seed(0)
ex = CNNExplorer(torchvision.models.resnet18(), layer={layer!r})
ex.maximize_options = {{**ex.maximize_options, **{options!r}}}
states, selections = [], []
ex.observe(lambda c: states.append((tuple(c.new.get("unit", ())), c.new.get("status"))), "maximize_state")
ex.on_select(selections.append)

def workers():
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("cnnwidget-job"))  # not is_alive(): see Job.running

def no_workers(timeout=1.0):
    start = time.monotonic()
    while workers() and time.monotonic() - start < timeout:
        time.sleep(0.01)
    return workers(), round(time.monotonic() - start, 3)

def sha(picture):
    return hashlib.sha256(np.ascontiguousarray(np.asarray(picture.convert("RGB"))).tobytes()).hexdigest()

ex"""

PRINT_MAXIMIZED = (
    'print("MAXIMIZED", ex.maximize_state["unit"], ex.maximize_state["status"], '
    'ex.maximized.size, sha(ex.maximized), "SELECTIONS", selections[-3:])'
)

# Page side: a record of every change of the picture's attributes, kept on window.__seen.
WATCH_JS = """(el) => {
  if (window.__watch) window.__watch.disconnect();
  window.__seen = [];
  const note = () => window.__seen.push({
    t: performance.now(), step: Number(el.dataset.step), status: el.dataset.status,
    unit: el.dataset.unit, job: Number(el.dataset.job), src: el.getAttribute("src") || "",
    stale: el.hasAttribute("data-stale"),
  });
  window.__watch = new MutationObserver(note);
  window.__watch.observe(el, { attributes: true, attributeFilter: ["data-step", "data-status", "data-unit", "src"] });
}"""

# Chosen channels of an <img> as the browser decoded them (RGB unless told, e.g. [3] for alpha),
# hashed like the kernel's sha() of the same channels: picture.evaluate(PICTURE_SHA_JS[, channels]).
PICTURE_SHA_JS = """async (img, channels) => {
  const pick = channels || [0, 1, 2];
  await img.decode();
  const c = document.createElement("canvas");
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext("2d");
  g.drawImage(img, 0, 0);
  const rgba = g.getImageData(0, 0, c.width, c.height).data;
  const out = new Uint8Array(c.width * c.height * pick.length);
  for (let i = 0, j = 0; i < rgba.length; i += 4) for (const k of pick) out[j++] = rgba[i + k];
  const digest = await crypto.subtle.digest("SHA-256", out);
  return { size: [c.width, c.height], sha: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("") };
}"""


def seen(page) -> list[dict]:
    """The attribute changes of the maximize picture recorded since :data:`WATCH_JS` was installed."""
    return page.evaluate("window.__seen || []")


def streamed(records: list[dict], unit_key: str) -> list[dict]:
    """The streamed (running, with a picture of their own) updates of ``unit_key`` ("layer:channel")."""
    return [r for r in records if r["unit"] == unit_key and r["status"] == "running" and not r["stale"] and r["step"] > 0]


def parse_maximized(text: str) -> dict:
    """Parse the line printed by :data:`PRINT_MAXIMIZED`."""
    m = re.search(r"MAXIMIZED \['(\w[\w.]*)', (\d+)\] (\w+) \((\d+), (\d+)\) ([0-9a-f]{64})", text)
    assert m, f"no MAXIMIZED line in the cell output: {text!r}"
    return {"unit": f"{m[1]}:{m[2]}", "status": m[3], "size": [int(m[4]), int(m[5])], "sha": m[6], "text": text}
