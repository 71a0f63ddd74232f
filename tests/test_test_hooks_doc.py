"""docs/test-hooks.md names every data-testid the front end sets, so users' browser tests can rely on it."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_literal_testid_in_the_front_end_is_documented():
    doc = (REPO / "docs" / "test-hooks.md").read_text()
    documented = set(re.findall(r"`([a-z0-9_-]+)`", doc))
    used = set()
    for source in (REPO / "js").glob("*.ts"):
        text = source.read_text()
        used |= set(re.findall(r'"data-testid":\s*"([a-z0-9_-]+)"', text))
        used |= set(re.findall(r'new DownloadLink\("([a-z0-9_-]+)"', text))
    assert len(used) > 40
    assert used <= documented, f"undocumented test hooks: {sorted(used - documented)}"
