"""The suite runs against the committed lock: requirements-lock.txt pins what is installed."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements-lock.txt"


def canonical(name: str) -> str:
    """PEP 503 normalized distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    """``{canonical name: version}`` from the lock file."""
    found = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            found[canonical(name)] = version.strip()
    return found


def test_every_pinned_package_is_installed_at_its_pinned_version():
    wrong = {}
    for name, version in pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, f"installed versions differ from requirements-lock.txt (pinned, installed): {wrong}; run `bash scripts/install.sh`"


def test_the_lock_covers_every_dependency_of_the_full_install():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in ("dev", "timm", "ray"):
        wanted += project["optional-dependencies"][extra]
    names = {canonical(re.match(r"[A-Za-z0-9._-]+", spec).group(0)) for spec in wanted}
    missing = names - set(pins())
    assert not missing, f"not in requirements-lock.txt: {sorted(missing)}; refresh it with `bash scripts/lock.sh`"


def test_every_line_is_an_exact_pin():
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!_-]+", line), f"not an exact pin: {line!r}"
