"""``python -m tests.dataset_examples.run_planted SRC OUT [PAUSE]``: index SRC with the planted network.

Used by the resume tests as a process to kill: after each stored shard it prints
``shard N`` and sleeps PAUSE seconds.
"""

from __future__ import annotations

import sys
import time

from cnnwidget.dataset_examples import dataset_examples
from tests.dataset_examples.fixtures import LAYERS, QUICK
from tests.dataset_examples.planted import PlantedNet


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0

    def slow(info):
        print(f"shard {info['shard']}", flush=True)
        time.sleep(pause)

    index = dataset_examples(PlantedNet(), src, LAYERS, out=out, workers=1, callback=slow, **QUICK)
    print(index.report, flush=True)


if __name__ == "__main__":
    main()
