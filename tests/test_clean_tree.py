"""The check that a test run leaves ``git status`` clean (tests/clean_tree.py) notices changes,
and the README pictures go to a temporary folder unless a refresh is asked for."""

import subprocess

import pytest

from tests import docs_pictures
from tests.clean_tree import REPO, changes_between, git_status


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(repo), "PATH": "/usr/bin:/bin"})


def test_a_changed_tracked_file_and_a_new_file_are_both_reported(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "docs.png").write_bytes(b"old")
    git(tmp_path, "add", "docs.png")
    git(tmp_path, "commit", "-qm", "one")
    before = git_status(tmp_path)
    assert before == frozenset()
    (tmp_path / "docs.png").write_bytes(b"new")
    (tmp_path / "stray.txt").write_text("x")
    assert changes_between(before, git_status(tmp_path)) == ["+  M docs.png", "+ ?? stray.txt"]


def test_pictures_go_to_a_temporary_folder_by_default(monkeypatch):
    monkeypatch.delenv(docs_pictures.REFRESH_VARIABLE, raising=False)
    path = docs_pictures.picture_path("explorer.png")
    assert REPO not in path.parents and path.parent.is_dir()
    monkeypatch.setenv(docs_pictures.REFRESH_VARIABLE, "1")
    assert docs_pictures.picture_path("explorer.png") == REPO / "docs" / "img" / "explorer.png"
