"""``python -m tests.dataset_examples.rss_probe SRC OUT``: index SRC, print this process's peak RSS in MB."""

from __future__ import annotations

import resource
import sys

from cnnwidget.dataset_examples import dataset_examples
from tests.dataset_examples.planted import PlantedNet

if __name__ == "__main__":
    index = dataset_examples(PlantedNet(), sys.argv[1], ["edges", "blur"], out=sys.argv[2], k=9, batch=16, shard=64,
                             workers=1, progress=False)
    assert index.report.complete
    print(index.report.images, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
