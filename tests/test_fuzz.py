"""1,000 generated bad inputs to the message handlers and the headless API: no crash, a named error each."""

import io
import random

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

import cnnwidget
from cnnwidget import CNNExplorer, ImageError
from cnnwidget.engine.images import MAX_PIXELS

CASES = 1000


def encoded(image: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kw)
    return out.getvalue()


def image_payloads(rng: random.Random) -> list[tuple[bytes, bool]]:
    """(bytes, is_valid_image) pairs covering the awkward corners of image files."""
    arr = np.random.default_rng(rng.randrange(1 << 30)).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    rgb = Image.fromarray(arr)
    png = encoded(rgb, "PNG")
    bomb = encoded(Image.new("1", (12000, 12000)), "PNG")  # 144 Mpx of 1-bit pixels, tiny file
    return [
        (png, True),
        (encoded(rgb.convert("L"), "PNG"), True),
        (encoded(rgb.convert("RGBA"), "PNG"), True),
        (encoded(rgb.convert("CMYK"), "JPEG"), True),
        (encoded(Image.fromarray((arr[..., 0].astype(np.uint16) * 257)), "PNG"), True),
        (encoded(rgb.convert("P"), "GIF"), True),
        (encoded(rgb, "BMP"), True),
        (png[: len(png) // 2], False),  # truncated
        (b"", False),
        (bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))), False),
        (b"%PDF-1.4 not an image", False),
        (bomb, False),
    ]


def random_message(rng: random.Random, payloads) -> tuple[object, list]:
    kind = rng.choice(["upload", "sample", "maximize", "frame", "cancel", "freeze", "garbage", "missing", "wrongtype",
                       "maximize_class", "adversarial"])
    if kind == "maximize_class":  # resnet18 has classes 0..999
        return {"type": "maximize_class", "class": rng.choice([-1, 1000, 10**9, "3", None])}, []
    if kind == "adversarial":
        return {"type": "adversarial", "class": rng.choice([-1, 1000, 10**9, 2.5]), "eps": rng.choice([8, 0, 1000, -1, "8"])}, []
    if kind == "upload":
        data, _ = rng.choice(payloads)
        return {"type": "upload", "name": rng.choice(["a.png", "", "../../etc/passwd", "x" * 300])}, [data]
    if kind == "sample":
        return {"type": "sample", "name": rng.choice(["chelsea", "nope", "../secret", ""])}, []
    if kind == "maximize":
        return {"type": "maximize", "layer": rng.choice(["layer1", "nope", "fc", ""]),
                "channel": rng.choice([0, -1, 10**9, 63])}, []
    if kind == "frame":
        w, h = rng.choice([(16, 16), (0, 5), (2000, 2), (8, 8), (-3, 4)])
        size = max(w, 0) * max(h, 0) * 4
        data = bytes(size) if rng.random() < 0.5 else bytes(rng.randrange(0, 64))
        return {"type": "frame", "id": rng.randrange(100), "width": w, "height": h, "t": float("nan")}, [data]
    if kind == "cancel":
        return {"type": "cancel"}, []
    if kind == "freeze":
        return {"type": "freeze"}, []
    if kind == "garbage":
        return rng.choice([None, 42, "text", [1, 2], {"no": "type"}, {"type": None}]), [b"\0" * rng.randrange(8)]
    if kind == "missing":
        return {"type": rng.choice(["upload", "frame", "maximize"])}, []
    return {"type": rng.choice(["upload", "maximize", "frame"]), "name": 5, "layer": 3.5, "channel": "7",
            "id": "x", "width": "16", "height": None}, [b"x"]


def test_thousand_bad_messages_never_crash_and_each_is_explained(photo):
    rng = random.Random(1234)
    model = torchvision.models.resnet18()
    ex = CNNExplorer(model, image=photo, layer="layer1", auto_maximize=False)
    ex.maximize_options = {**ex.maximize_options, "steps": 1, "size": 32}
    ex.send = lambda *a, **k: None
    payloads = image_payloads(rng)
    explained = 0
    for _ in range(CASES):
        ex.error = ""
        content, buffers = random_message(rng, payloads)
        ex._on_browser_message(ex, content, buffers)
        assert ex._live_worker.wait_idle(timeout=60)  # frames and freezes are handled on the live thread
        if ex.error:
            explained += 1
            assert "unexpected error" not in ex.error, ex.error
    assert explained > CASES // 3
    ex._runner.close()
    # the widget still works afterwards
    ex2_image = encoded(Image.fromarray(photo), "PNG")
    ex._handlers["upload"](cnnwidget.protocol.parse_browser_message({"type": "upload", "name": "ok.png"}, [ex2_image]))
    assert ex.error == "" and ex.image_name == "ok.png"


@pytest.mark.parametrize("seed", range(4))
def test_headless_api_rejects_bad_images_with_a_named_error(seed):
    rng = random.Random(seed)
    for data, valid in image_payloads(rng):
        if valid:
            assert cnnwidget.load_image(data).mode == "RGB"
        else:
            with pytest.raises(ImageError):
                cnnwidget.load_image(data)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.full((8, 8, 3), np.nan, np.float32), "NaN or infinite"),
        (np.zeros((8, 8, 7), np.uint8), "must be \\(H, W\\)"),
        (np.zeros((0, 8, 3), np.uint8), "empty"),
        (np.zeros((2, 2, 2, 2), np.uint8), "must be \\(H, W\\)"),
        (torch.zeros(5, 8, 8), "must be \\(3, H, W\\)"),
        (object(), "cannot read an image"),
        ("/no/such/file.png", "no image file"),
    ],
)
def test_bad_arrays_and_paths_are_named(bad, match):
    with pytest.raises(ImageError, match=match):
        cnnwidget.load_image(bad)


def test_huge_dimensions_are_refused_before_allocation():
    side = int(MAX_PIXELS**0.5) + 10
    header = encoded(Image.new("L", (side, side)), "PNG")
    with pytest.raises(ImageError, match="resize it first|not a readable image"):
        cnnwidget.load_image(header)
