"""`cnnwidget atlas` through the main command line: a small atlas, a resume, errors as one line."""

from __future__ import annotations

import json

from cnnwidget.cli.main import main

ARGS = ["default", "--layers", "stage1", "--units", "0:3", "--steps", "4", "--size", "32", "--batch", "2",
        "--weights", "none", "--workers", "0", "-q"]


def test_atlas_command_makes_and_resumes_an_atlas(tmp_path, capsys):
    out = tmp_path / "atlas"
    assert main(["atlas", *ARGS, "--out", str(out)]) == 0
    assert "3 units computed, 0 already there" in capsys.readouterr().err
    data = json.loads((out / "atlas.json").read_text())
    assert sorted(r["unit"] for r in data["units"]) == [0, 1, 2]
    assert data["settings"]["batch"] == 2 and (out / "index.html").is_file()
    assert main(["atlas", *ARGS, "--out", str(out)]) == 0
    assert "0 units computed, 3 already there" in capsys.readouterr().err


def test_other_settings_in_the_same_directory_are_one_line_errors(tmp_path, capsys):
    out = tmp_path / "atlas"
    assert main(["atlas", *ARGS, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["atlas", *ARGS, "--out", str(out), "--steps", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "choose another --out" in err and "\n" not in err


def test_unknown_layer_and_bad_units_are_one_line_errors(tmp_path, capsys):
    assert main(["atlas", "default", "--layers", "nope", "--out", str(tmp_path / "a"), "--weights", "none", "-q"]) == 2
    assert "unknown layer 'nope'" in capsys.readouterr().err
    assert main(["atlas", *ARGS[:-1], "--units", "0:x", "--out", str(tmp_path / "b")]) == 2
    assert "cannot read units" in capsys.readouterr().err
