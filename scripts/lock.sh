#!/usr/bin/env bash
# Refresh requirements-lock.txt: resolve pyproject.toml's dependencies with the dev, timm and ray
# extras in a fresh virtual environment and pin every package that got installed.
# Run after changing dependencies in pyproject.toml; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${PYTHON:-python3}" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --disable-pip-version-check -q -e ".[dev,timm,ray]" \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
{
  echo "# Every Python package of a full cnnwidget install (.[dev,timm,ray]), pinned."
  echo "# Made by \`bash scripts/lock.sh\` from pyproject.toml; used as pip constraints by scripts/install.sh."
  "$tmp/venv/bin/python" -m pip freeze --exclude-editable --disable-pip-version-check | grep -iv '^cnnwidget' | LC_ALL=C sort -f
} > requirements-lock.txt
echo "wrote requirements-lock.txt ($(grep -vc '^#' requirements-lock.txt) packages)"
