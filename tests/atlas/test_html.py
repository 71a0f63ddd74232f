"""index.html: every unit's picture, by relative path, with no server needed."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.scripts = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        if tag == "script":
            self.scripts += 1
        if tag in ("link", "a"):
            self.links.append(attrs.get("href", ""))


def test_index_shows_every_unit_with_its_value(local_atlas):
    out = local_atlas.out
    page = (out / "index.html").read_text()
    parser = _Images()
    parser.feed(page)
    sources = [img["src"] for img in parser.images]
    assert sorted(sources) == sorted(f"stage2/{c}.png" for c in range(6))
    assert all((out / s).is_file() for s in sources)
    assert parser.scripts == 0 and all(link.startswith("#") for link in parser.links)
    assert "http" not in page
    assert "6 of 96 units" in page
    assert len(re.findall(r"<b>#\d+</b><span>[-\d.e+]+</span>", page)) == 6
