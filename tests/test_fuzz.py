"""1,000 generated messages, each labelled valid or invalid, to the message handlers and the headless API:
no crash, a named error for each invalid one and none for a valid one."""

import io
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

import cnnwidget
from cnnwidget import CNNExplorer, ImageError
from cnnwidget.engine.images import MAX_PIXELS

CASES = 1000
REPO = Path(__file__).resolve().parents[1]


def encoded(image: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kw)
    return out.getvalue()


BOMB_SIDE = 12000  # 144 Mpx of 1-bit pixels in a tiny file: over MAX_PIXELS


def bomb_png() -> bytes:
    return encoded(Image.new("1", (BOMB_SIDE, BOMB_SIDE)), "PNG")


BOMB_MESSAGE = f"is {BOMB_SIDE}x{BOMB_SIDE} pixels, more than the {MAX_PIXELS:,} allowed; resize it first"


def image_payloads(rng: random.Random) -> list[tuple[bytes, str | None]]:
    """(bytes, expected error) pairs covering the awkward corners of image files; ``None`` = a valid image."""
    arr = np.random.default_rng(rng.randrange(1 << 30)).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    rgb = Image.fromarray(arr)
    png = encoded(rgb, "PNG")
    unreadable = "not a readable image .*; use a PNG or JPEG file"
    return [
        (png, None),
        (encoded(rgb.convert("L"), "PNG"), None),
        (encoded(rgb.convert("RGBA"), "PNG"), None),
        (encoded(rgb.convert("CMYK"), "JPEG"), None),
        (encoded(Image.fromarray((arr[..., 0].astype(np.uint16) * 257)), "PNG"), None),
        (encoded(rgb.convert("P"), "GIF"), None),
        (encoded(rgb, "BMP"), None),
        (png[: len(png) // 2], unreadable),  # truncated
        (b"", "is empty; choose a PNG or JPEG file"),
        (b"\x00" + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))), unreadable),
        (b"%PDF-1.4 not an image", unreadable),
        (bomb_png(), re.escape(BOMB_MESSAGE)),
    ]


SAMPLES = set(cnnwidget.samples())  # the names the "sample" message accepts
NEEDS_FIELD = "message '\\w+' needs an? \\w+ field"


def random_message(rng: random.Random, payloads, state: dict) -> tuple[object, list, str | None]:
    """One message, its buffers and its verdict: ``None`` for a valid message, else the expected error
    (a regular expression). ``state`` remembers whether a valid live frame arrived (for freeze)."""
    kind = rng.choice(["upload", "sample", "maximize", "frame", "cancel", "freeze", "garbage", "missing", "wrongtype",
                       "maximize_class", "adversarial"])
    if kind == "maximize_class":  # resnet18 has classes 0..999
        k = rng.choice([3, -1, 1000, 10**9, "3", None])
        if not isinstance(k, int):
            expect = NEEDS_FIELD
        else:
            expect = None if k == 3 else f"class {k} is out of range: the model has 1000 outputs; use 0..999"
        return {"type": "maximize_class", "class": k}, [], expect
    if kind == "adversarial":  # every one is refused before an attack starts
        k, eps = rng.choice([-1, 1000, 10**9, 2.5]), rng.choice([8, 0, 1000, -1, "8"])
        if not isinstance(k, int):
            expect = NEEDS_FIELD
        elif eps != 8 or isinstance(eps, str):  # the budget is checked against ADVERSARIAL_OPTIONS
            expect = re.escape("adversarial eps must be a number in (0, 64]")
        else:
            expect = f"target class {k} is out of range: use 0..999"
        return {"type": "adversarial", "class": k, "eps": eps}, [], expect
    if kind == "upload":
        data, expect = rng.choice(payloads)
        return {"type": "upload", "name": rng.choice(["a.png", "", "../../etc/passwd", "x" * 300])}, [data], expect
    if kind == "sample":
        name = rng.choice(["chelsea", "nope", "../secret", ""])
        return {"type": "sample", "name": name}, [], None if name in SAMPLES else "no sample called .*; choose one of"
    if kind == "maximize":
        layer, channel = rng.choice(["layer1", "nope", "fc", ""]), rng.choice([0, -1, 10**9, 63])
        if layer == "nope":
            expect = "unknown layer 'nope'; valid names include"
        elif layer != "layer1":
            expect = "does not output an image-like .* so it has no activation maps.*; choose a layer such as"
        elif channel not in (0, 63):
            expect = f"channel {channel} is out of range for 'layer1': choose 0..63"
        else:
            expect = None
        return {"type": "maximize", "layer": layer, "channel": channel}, [], expect
    if kind == "frame":
        w, h = rng.choice([(16, 16), (0, 5), (2000, 2), (8, 8), (-3, 4)])
        size = max(w, 0) * max(h, 0) * 4
        full = rng.random() < 0.5
        data = bytes(size) if full else bytes(rng.randrange(0, 64))
        if not (0 < w <= 1024 and 0 < h <= 1024):
            expect = f"frame size {w}x{h} is outside 1..1024 px; send a downsized frame"
        elif len(data) != size:
            expect = f"frame data has {len(data)} bytes; a {w}x{h} RGBA frame needs {size}"
        else:
            expect = None
            state["frame"] = True
        return {"type": "frame", "id": rng.randrange(100), "width": w, "height": h, "t": float("nan")}, [data], expect
    if kind == "cancel":
        job = rng.choice([None, "maximize", "attribution", "adversarial", "nope", 3])
        if job is None:
            return {"type": "cancel"}, [], None
        return {"type": "cancel", "job": job}, [], "unknown job kind" if job in ("nope", 3) else None
    if kind == "freeze":
        return {"type": "freeze"}, [], None if state.get("frame") else "no live frame yet: start the webcam"
    if kind == "garbage":
        content = rng.choice([None, 42, "text", [1, 2], {"no": "type"}, {"type": None}])
        expect = "unknown message type" if isinstance(content, dict) else "expected a JSON object message"
        return content, [b"\0" * rng.randrange(8)], expect
    if kind == "missing":
        return {"type": rng.choice(["upload", "frame", "maximize"])}, [], NEEDS_FIELD
    return {"type": rng.choice(["upload", "maximize", "frame"]), "name": 5, "layer": 3.5, "channel": "7",
            "id": "x", "width": "16", "height": None}, [b"x"], NEEDS_FIELD


def test_thousand_messages_each_get_the_verdict_their_label_says(photo):
    rng = random.Random(1234)
    model = torchvision.models.resnet18()
    ex = CNNExplorer(model, image=photo, layer="layer1", auto_maximize=False)
    ex.maximize_options = {**ex.maximize_options, "steps": 1, "size": 32}
    ex.send = lambda *a, **k: None
    payloads = image_payloads(rng)
    state: dict = {}
    verdicts = {"valid": 0, "invalid": 0}
    for i in range(CASES):
        ex.error = ""
        content, buffers, expect = random_message(rng, payloads, state)
        ex._on_browser_message(ex, content, buffers)
        assert ex._live_worker.wait_idle(timeout=60)  # frames and freezes are handled on the live thread
        job = ex._runner.current
        assert job is None or job.wait(60)  # a maximization reports its failure from its thread
        where = f"message {i}: {content!r} with {[len(b) for b in buffers]} bytes"
        if expect is None:
            assert ex.error == "", f"{where} is valid but showed {ex.error!r}"
            verdicts["valid"] += 1
        else:
            assert ex.error, f"{where} is invalid but no error was shown"
            assert "unexpected error" not in ex.error, f"{where}: {ex.error}"
            assert re.search(expect, ex.error), f"{where}: {ex.error!r} does not say {expect!r}"
            verdicts["invalid"] += 1
    assert min(verdicts.values()) > CASES // 4, verdicts  # both kinds are well represented
    ex._runner.close()
    # the widget still works afterwards
    ex2_image = encoded(Image.fromarray(photo), "PNG")
    ex._handlers["upload"](cnnwidget.widget.protocol.parse_browser_message({"type": "upload", "name": "ok.png"}, [ex2_image]))
    assert ex.error == "" and ex.image_name == "ok.png"
    assert ex.current_activations.shape[0] == 64


@pytest.mark.parametrize("seed", range(4))
def test_headless_api_rejects_bad_images_with_a_named_error(seed):
    rng = random.Random(seed)
    for data, expect in image_payloads(rng):
        if expect is None:
            assert cnnwidget.load_image(data).mode == "RGB"
        else:
            with pytest.raises(ImageError, match=expect):
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


PEAK_PROBE = """
import sys
from cnnwidget.engine.images import ImageError, load_image

def peak_kb():  # the process's resident-memory high-water mark
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])

data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the high-water mark to the current size (it survives fork and exec otherwise)
before = peak_kb()
try:
    print("loaded", load_image(data).size)
except ImageError as err:
    print("refused", err)
print("peak_growth_kb", peak_kb() - before)
"""


def peak_growth_when_loading(data: bytes, tmp_path) -> tuple[str, int]:
    """Load ``data`` in a fresh process: (what it printed, growth of its peak memory in kB during the load)."""
    path = tmp_path / "picture.png"
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", PEAK_PROBE, str(path)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    return lines[0], int(lines[-1].split()[-1])


def test_decompression_bomb_fails_at_the_size_guard_before_allocation(tmp_path):
    bomb = bomb_png()
    assert len(bomb) < 100_000  # tiny file, 144 Mpx once decoded
    said, growth_kb = peak_growth_when_loading(bomb, tmp_path)
    assert said.startswith("refused") and BOMB_MESSAGE in said, said  # the size guard's own message
    assert growth_kb < 20_000, f"peak memory grew {growth_kb} kB while refusing the bomb"
    # control: a picture under the limit, half as big, is decoded, and the probe sees its memory
    side = 6000  # 36 Mpx, 1 byte a pixel decoded, 3 as RGB
    said, growth_kb = peak_growth_when_loading(encoded(Image.new("1", (side, side)), "PNG"), tmp_path)
    assert said == f"loaded ({side}, {side})"
    assert growth_kb > 60_000, (growth_kb, said)


def test_huge_dimensions_are_refused_with_the_size_message():
    side = int(MAX_PIXELS**0.5) + 10
    header = encoded(Image.new("L", (side, side)), "PNG")
    with pytest.raises(ImageError, match=f"is {side}x{side} pixels, more than the {MAX_PIXELS:,} allowed; resize it first"):
        cnnwidget.load_image(header)
