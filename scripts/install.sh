#!/usr/bin/env bash
# Install everything cnnwidget needs into .venv/ in this checkout:
# the front-end bundle (npm registry), the package with its dev and timm extras (PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
npm ci --no-audit --no-fund --loglevel=error
node build.mjs
.venv/bin/python -m pip install --disable-pip-version-check -q -e ".[dev,timm,ray]"
