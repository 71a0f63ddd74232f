"""Make cnnwidget/engine/natural_spectrum.npy: the magnitude spectrum MACO pictures keep.

Measured on the bundled sample photos (cnnwidget/samples/*.jpg) with
:func:`cnnwidget.engine.natural_spectrum.compute_spectrum`; deterministic, so
running it again rewrites the same numbers (tests/engine/test_natural_spectrum.py
checks that the shipped file matches).

Run::

    .venv/bin/python scripts/make_natural_spectrum.py            # writes the shipped file
    .venv/bin/python scripts/make_natural_spectrum.py --out x.npy --folder my_photos/
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnnwidget.engine.natural_spectrum import SPECTRUM_FILE, spectrum_from_folder  # noqa: E402

SAMPLES = ROOT / "cnnwidget" / "samples"


def make(folder: Path = SAMPLES) -> np.ndarray:
    """The spectrum of the photos in ``folder`` as a float32 array ``(3, 128, 128)``."""
    return spectrum_from_folder(folder).numpy().astype(np.float32)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=SAMPLES, help="photos to measure (default: the bundled samples)")
    parser.add_argument("--out", type=Path, default=SPECTRUM_FILE, help="where to write the .npy file")
    args = parser.parse_args(argv)
    spectrum = make(args.folder)
    np.save(args.out, spectrum)
    print(f"wrote {args.out} {spectrum.shape} from {args.folder}")


if __name__ == "__main__":
    main()
