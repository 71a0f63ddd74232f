#!/usr/bin/env bash
# Install everything, then open JupyterLab on the quickstart notebook and print its URL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
port="${PORT:-8888}"
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
token="$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(16))')"
echo "cnnwidget demo: open http://127.0.0.1:${port}/lab/tree/examples/quickstart.ipynb?token=${token}"
exec .venv/bin/jupyter lab examples/quickstart.ipynb --ip=127.0.0.1 --port="$port" \
  --IdentityProvider.token="$token" "${extra[@]}"
