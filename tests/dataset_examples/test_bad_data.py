"""Bad files are skipped and counted with their reasons; odd picture modes are converted and still rank."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnwidget.dataset_examples import dataset_examples
from tests.dataset_examples.fixtures import QUICK
from tests.dataset_examples.planted import UNIT, PlantedNet, background, plant


def _bomb_png(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width x height`` grey pixels (all zero when decoded)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    squash = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    body = b"".join(squash.compress(row) for _ in range(height)) + squash.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _planted(kind: str, seed: int, size=(96, 80)) -> np.ndarray:
    pixels = background(*size, seed)
    plant(pixels, kind, (size[0] // 2, size[1] // 2), 12)
    return pixels


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    root = tmp_path_factory.mktemp("messy") / "src"
    (root / "plain").mkdir(parents=True)
    for i in range(6):
        Image.fromarray(background(90, 70, 100 + i)).save(root / "plain" / f"{i}.png")
    good = io.BytesIO()
    Image.fromarray(background(90, 70, 7)).save(good, "PNG")
    (root / "bad").mkdir()
    (root / "bad" / "truncated.png").write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    (root / "bad" / "text.jpg").write_text("this is not a picture\n")
    (root / "bad" / "empty.png").write_bytes(b"")
    (root / "bad" / "garbage.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)
    (root / "bad" / "bomb.png").write_bytes(_bomb_png(9000, 9000))  # 81 Mpx claimed in 80 kB
    (root / "bad" / "notes.txt").write_text("a note beside the pictures\n")
    (root / "nothing").mkdir()
    # Odd modes, each holding a planted patch of a known kind.
    (root / "modes").mkdir()
    Image.fromarray(_planted("red", 1)).convert("CMYK").save(root / "modes" / "cmyk.jpg", quality=95)
    rgba = Image.fromarray(_planted("red", 2)).convert("RGBA")
    rgba.putalpha(255)
    rgba.save(root / "modes" / "alpha.png")
    Image.fromarray(_planted("red", 3)).convert("P", palette=Image.ADAPTIVE).save(root / "modes" / "palette.png")
    grey = _planted("vertical", 4)[..., 0].astype(np.uint16) * 257
    Image.fromarray(grey).save(root / "modes" / "grey16.png")
    assert Image.open(root / "modes" / "grey16.png").mode.startswith("I")
    Image.fromarray(_planted("vertical", 5)[..., 0]).save(root / "modes" / "grey8.tiff")
    return root


@pytest.fixture(scope="module")
def messy_index(messy, tmp_path_factory):
    return dataset_examples(PlantedNet(), messy, ["edges"], out=tmp_path_factory.mktemp("out") / "ex", workers=1,
                            **QUICK)


def test_bad_files_are_skipped_with_their_reasons(messy_index):
    report = messy_index.report
    reasons = {Path(what).name: reason for what, reason in report.skipped}
    assert reasons["truncated.png"] == "truncated"
    assert reasons["text.jpg"] == "not an image"
    assert reasons["empty.png"] == "empty file"
    assert reasons["garbage.jpg"].startswith(("corrupt", "truncated", "not an image"))
    assert reasons["bomb.png"].startswith("decompression bomb: 9000x9000")
    assert reasons["notes.txt"] == "not a picture file (.txt)"
    assert reasons["nothing"] == "empty folder"
    assert len(report.skipped) == 7
    assert report.images == 6 + 5 and report.complete
    assert report.reasons["decompression bomb"] == 1


def test_odd_modes_are_converted_and_rank_for_their_unit(messy_index):
    red = {Path(e.path).name for e in messy_index.top("edges", UNIT["red"])}
    assert red == {"cmyk.jpg", "alpha.png", "palette.png"}
    vertical = [Path(e.path).name for e in messy_index.top("edges", UNIT["vertical"])][:2]
    assert set(vertical) == {"grey16.png", "grey8.tiff"}
    for example in messy_index.top("edges", UNIT["red"]):
        assert example.crop.mode == "RGB"
    labels = {e.label for e in messy_index.top("edges", UNIT["red"])}
    assert labels == {"modes"}  # the subfolder is the label


def test_an_empty_folder_gives_an_empty_index_and_says_why(tmp_path):
    (tmp_path / "src").mkdir()
    index = dataset_examples(PlantedNet(), tmp_path / "src", ["edges"], out=tmp_path / "out", **QUICK)
    assert index.report.images == 0
    assert index.report.skipped == [(".", "empty folder")]
    assert index.top("edges", 0) == []
    assert index.stats("edges", 0)["images"] == 0


def test_pictures_in_memory_and_a_dataset_with_labels(tmp_path):
    pictures = [Image.fromarray(background(80, 80, i)) for i in range(5)]
    pictures.append(np.asarray(Image.fromarray(_planted("green", 9, (80, 80)))))  # an array
    index = dataset_examples(PlantedNet(), pictures, ["edges"], out=tmp_path / "mem", **QUICK)
    best = index.top("edges", UNIT["green"])[0]
    assert best.item == 5 and best.path is None
    assert best.image().size == (80, 80)  # the whole picture was kept in the index for hover

    class Pairs:
        classes = ["plain", "green"]

        def __len__(self):
            return len(pictures)

        def __getitem__(self, i):
            return pictures[i], int(i == 5)

    labelled = dataset_examples(PlantedNet(), Pairs(), ["edges"], out=tmp_path / "pairs", **QUICK)
    assert labelled.top("edges", UNIT["green"])[0].label == "green"
