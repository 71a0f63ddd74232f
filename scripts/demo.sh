#!/usr/bin/env bash
# Install everything, then serve JupyterLab on examples/quickstart.ipynb and print the URL to open.
# PORT=NNNN picks the port (default: 8888, or the next free one).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
py=.venv/bin/python
port="${PORT:-$("$py" -c '
import socket
for port in range(8888, 8988):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
')}"
token="$("$py" -c 'import secrets; print(secrets.token_hex(16))')"
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
# Trust the quickstart (its outputs may show widgets) so the server does not warn about it.
"$py" -m jupyter trust examples/quickstart.ipynb >/dev/null 2>&1 || true
# The server's root is examples/, so the notebook's path in the URL is quickstart.ipynb. Its own
# log is kept to warnings; the address to open is printed once the server answers.
"$py" -m jupyterlab --ip=127.0.0.1 --port="$port" --ServerApp.port_retries=0 --ServerApp.open_browser=False \
  --ServerApp.root_dir="$PWD/examples" --ServerApp.default_url=/lab/tree/quickstart.ipynb \
  --IdentityProvider.token="$token" --log-level=WARN --LabApp.log_level=WARN \
  --ServerApp.tornado_settings="{'ws_ping_timeout': 30000}" "${extra[@]}" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true; wait "$server"' INT TERM
"$py" - "$port" "$server" <<'PY'
import os, sys, time, urllib.request
port, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 180
while time.monotonic() < deadline:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=2).read()
        sys.exit(0)
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit("cnnwidget demo: JupyterLab stopped before it answered (see its messages above)")
        time.sleep(0.2)
sys.exit("cnnwidget demo: JupyterLab did not answer within 180 s")
PY
url="http://127.0.0.1:${port}/lab/tree/quickstart.ipynb?token=${token}"
echo "cnnwidget demo: open $url"
echo "                (Ctrl+C stops the server)"
# A desktop browser opens it too, where there is a desktop (never a text browser in this terminal).
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$(uname)" = Darwin ]; then "$py" -c 'import sys, webbrowser; webbrowser.open(sys.argv[1])' "$url" >/dev/null 2>&1 || true; fi
wait "$server"
