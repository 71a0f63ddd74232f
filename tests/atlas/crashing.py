"""A model spec for the killed-worker test: the default net, whose process kills itself once.

``tests.atlas.crashing:build`` builds :class:`CrashOnce`. When the environment variable
:data:`MARKER` names a file that does not exist yet, the first forward pass creates it and
SIGKILLs its own process, as an out-of-memory killer or a lost machine would. Only Ray
workers get the variable (through the runtime environment), never the test process.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from cnnwidget.models import default_model
from cnnwidget.models.default_net import DefaultNet

MARKER = "CNNWIDGET_TEST_CRASH_MARKER"


class CrashOnce(DefaultNet):
    def forward(self, x):
        marker = os.environ.get(MARKER)
        if marker and not Path(marker).exists():
            Path(marker).write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return super().forward(x)


def build() -> CrashOnce:
    """The default model's architecture with random weights (seeded by the atlas)."""
    reference = default_model(None)
    model = CrashOnce(num_classes=reference.classifier.out_features)
    model.cnnwidget_preprocess = reference.cnnwidget_preprocess
    return model
