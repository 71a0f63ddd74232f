#!/usr/bin/env bash
# Install everything cnnwidget needs, from the committed locks, into this checkout:
#   node_modules/  the front-end build tools, from package-lock.json (npm registry)
#   .venv/         the package (editable) with its dev, timm and ray extras, every version pinned
#                  by requirements-lock.txt (PyPI; refresh it with `bash scripts/lock.sh`)
# Steps whose lock did not change since the last run are skipped, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "cnnwidget: $*"; }
# This pip's configuration may name package folders that do not exist on the machine; pip warns
# about each one on every run. Those lines say nothing about cnnwidget's install: drop them.
quiet_pip() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
key() { cat "$@" | sha256sum | cut -c1-32; }

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  say "creating the virtual environment .venv/ ($("$python" --version))"
  "$python" -m venv .venv
fi

npm_key="$(key package-lock.json)"
if [ "$(cat node_modules/.cnnwidget-lock 2>/dev/null)" != "$npm_key" ]; then
  say "installing the front-end build tools from package-lock.json (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$npm_key" > node_modules/.cnnwidget-lock
fi
if [ ! -f cnnwidget/static/index.js ] || [ -n "$(find js build.mjs -newer cnnwidget/static/index.js -print -quit)" ]; then
  say "bundling the front end (js/ -> cnnwidget/static/index.js)"
  node build.mjs >/dev/null
fi

py_key="$(key requirements-lock.txt pyproject.toml)"
if [ "$(cat .venv/.cnnwidget-lock 2>/dev/null)" != "$py_key" ]; then
  say "installing Python packages pinned by requirements-lock.txt (the first time takes a few minutes: torch is large)"
  quiet_pip .venv/bin/python -m pip install --disable-pip-version-check -q -c requirements-lock.txt -e ".[dev,timm,ray]"
  echo "$py_key" > .venv/.cnnwidget-lock
fi

# JupyterLab in this venv: no "get notified about Jupyter news?" toast over the demo. A user's own
# setting (in ~/.jupyter) still wins over these defaults.
overrides=.venv/share/jupyter/lab/settings/overrides.json
if [ ! -f "$overrides" ]; then
  mkdir -p "$(dirname "$overrides")"
  cat > "$overrides" <<'JSON'
{
  "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}
}
JSON
fi
