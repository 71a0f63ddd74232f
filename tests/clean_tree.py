"""A test run leaves the working tree as it found it: ``git status`` is compared before and after.

Hooked into pytest by ``tests/conftest.py``. When the run changed, added or
deleted a file that git sees, the session fails and names the files. Outside a
git checkout (an unpacked sdist) there is nothing to compare and the check is off.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_KEY = pytest.StashKey[frozenset]()


def git_status(repo: Path = REPO) -> frozenset[str] | None:
    """``git status --porcelain`` lines of ``repo``, or ``None`` outside a git checkout."""
    git = shutil.which("git")
    if git is None or not (repo / ".git").exists():
        return None
    done = subprocess.run([git, "status", "--porcelain", "--untracked-files=all"], cwd=repo,
                          capture_output=True, text=True, timeout=60)
    return frozenset(done.stdout.splitlines()) if done.returncode == 0 else None


def changes_between(before: frozenset[str], after: frozenset[str]) -> list[str]:
    """Status lines that appeared or went away during the run."""
    return sorted(f"+ {line}" for line in after - before) + sorted(f"- {line}" for line in before - after)


def pytest_sessionstart(session: pytest.Session) -> None:
    from tests.docs_pictures import refreshing_docs

    if refreshing_docs():  # asked to rewrite docs/img/: those changes are the point of the run
        return
    status = git_status()
    if status is not None:
        session.stash[_KEY] = status


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.stash.get(_KEY, None)
    after = git_status() if before is not None else None
    if before is None or after is None or after == before:
        return
    lines = changes_between(before, after)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = "the test run changed the working tree (tests must write to temporary folders):\n  " + "\n  ".join(lines)
    if reporter is not None:
        reporter.write_sep("=", "working tree changed", red=True)
        reporter.write_line(message)
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
