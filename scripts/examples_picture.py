"""Make docs/img/examples.png with the CLI: the default model's dataset examples over a generated folder.

Run::

    .venv/bin/python scripts/examples_picture.py            # 480 generated pictures, stage3, k 9

Writes the pictures (128 px, one folder per class, so the class is the label) to a
temporary folder, runs ``cnnwidget examples default FOLDER --layers stage3 --k 9``, and lays
out the top-9 crops of the six units with the highest mean maximum, one row per unit.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cnnwidget.data.synthetic import CLASSES, make_batch  # noqa: E402
from cnnwidget.dataset_examples import ExampleIndex  # noqa: E402
from cnnwidget.engine.preprocessing import to_pil  # noqa: E402

LAYER, TILE, UNITS = "stage3", 72, 6


def main(n: int = 480) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "pictures", Path(tmp) / "examples"
        images, labels = make_batch(n, seed=1)
        for i, (image, label) in enumerate(zip(images, labels)):
            folder = src / CLASSES[int(label)]
            folder.mkdir(parents=True, exist_ok=True)
            to_pil(image).save(folder / f"{i:04d}.jpg", quality=92)
        subprocess.run([sys.executable, "-m", "cnnwidget.cli", "examples", "default", str(src), "--layers", LAYER,
                        "--k", "9", "--out", str(out)], check=True, cwd=REPO)
        index = ExampleIndex.open(out)
        channels = index.layers[LAYER]["channels"]
        ranked = sorted(range(channels), key=lambda c: -(index.stats(LAYER, c)["mean"] or 0))[:UNITS]
        label_w = 150
        sheet = Image.new("RGB", (label_w + 9 * (TILE + 3), UNITS * (TILE + 3) + 3), "white")
        draw = ImageDraw.Draw(sheet)
        for row, channel in enumerate(ranked):
            top = index.top(LAYER, channel)
            y = 3 + row * (TILE + 3)
            labels = [e.label for e in top]
            common = max(set(labels), key=labels.count)
            draw.text((4, y + 4), f"{LAYER}:{channel}", fill="black")
            draw.text((4, y + 22), f"{labels.count(common)}/9 {common}", fill="#444")
            for col, example in enumerate(top):
                sheet.paste(example.crop.resize((TILE, TILE)), (label_w + col * (TILE + 3), y))
        target = REPO / "docs" / "img" / "examples.png"
        sheet.save(target)
        print(f"saved {target}; {index.report}")


if __name__ == "__main__":
    main()
