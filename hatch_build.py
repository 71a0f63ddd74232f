"""Hatch build hook: bundle the TypeScript front end into cnnwidget/static/ with esbuild.

Runs `npm ci` (or `npm install` without a lock file) and `node build.mjs` when
the bundle is missing or older than the sources, so that `pip install .` and
every wheel ship `static/index.js` and end users never need Node.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class FrontEndBuild(BuildHookInterface):
    """Build `cnnwidget/static/index.js` before the wheel is assembled."""

    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        root = Path(self.root)
        bundle = root / "cnnwidget" / "static" / "index.js"
        sources = [p for p in (root / "js").rglob("*") if p.suffix in (".ts", ".css")] + [root / "build.mjs"]
        if not (root / "package.json").exists():
            if not bundle.exists():
                raise RuntimeError("no front-end sources and no prebuilt bundle; reinstall from a full checkout")
            return
        newest = max((p.stat().st_mtime for p in sources if p.exists()), default=0)
        if bundle.exists() and bundle.stat().st_mtime >= newest:
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("building cnnwidget from source needs Node.js 18+ and npm on PATH")
        if not (root / "node_modules" / "esbuild").exists():
            cmd = "ci" if (root / "package-lock.json").exists() else "install"
            subprocess.run([npm, cmd, "--no-audit", "--no-fund"], cwd=root, check=True)
        subprocess.run([shutil.which("node") or "node", "build.mjs"], cwd=root, check=True)
