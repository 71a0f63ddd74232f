"""An atlas made with ``examples=`` shows each unit's top crops beside its picture in ``index.html``."""

from __future__ import annotations

from html.parser import HTMLParser

from cnnwidget.atlas import build_atlas
from tests.dataset_examples.fixtures import planted, planted_index  # noqa: F401  (fixtures)
from tests.dataset_examples.planted import PlantedNet


class _Figures(HTMLParser):
    def __init__(self):
        super().__init__()
        self.units: dict[int, list[dict]] = {}
        self._channel = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figure":
            self._channel = int(attrs["data-channel"])
            self.units[self._channel] = []
        if tag == "img" and attrs.get("data-testid") == "unit-example":
            self.units[self._channel].append(attrs)


def test_atlas_index_shows_each_units_examples(planted_index, tmp_path):
    result = build_atlas(PlantedNet(), ["blur"], tmp_path / "atlas", steps=2, size=32, batch=4, progress=False,
                   examples=planted_index.root)
    page = result.index.read_text()
    parser = _Figures()
    parser.feed(page)
    assert sorted(parser.units) == [0, 1, 2, 3]
    for channel, images in parser.units.items():
        top = planted_index.top("blur", channel)
        assert [int(i["data-rank"]) for i in images] == [0, 1, 2]
        assert [float(i["data-score"]) for i in images] == [float(f"{e.score:.6g}") for e in top]
        for image in images:  # relative links that resolve from the page's folder
            assert (result.out / image["src"]).resolve().is_file()
    assert page.count('data-testid="dataset-examples"') == 4
