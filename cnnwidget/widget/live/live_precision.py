"""The number format live maps run in, chosen per machine from what its CPU offers.

Measured on one thread, resnet18 up to ``layer3`` at 224 px, channels-last, CPU ms per frame
(``benchmarks/bench_live_kernel.py``, settings alternated in one process; 2 shared, loaded cores):

=================  =========  =========  ==================
capability         float32    bfloat16   int8 (x86 backend)
=================  =========  =========  ==================
AVX512 (+bf16)     34.0       21.7       8.5
AVX2 (restricted)  35.6       159.5      15.7
=================  =========  =========  ==================

So ``"auto"`` picks int8 wherever PyTorch runs AVX2 or AVX-512 kernels and the quantized engine
is an x86 one; elsewhere (no AVX2, ARM, a GPU) it picks bfloat16 where that is native, else
float32 (:func:`~cnnwidget.engine.precision.resolve_precision`). While the int8 copy is being
built, or when the model cannot be quantized, frames run in that floating-point precision.
Live DeepDream needs gradients, which int8 kernels do not give: it always runs in floating point.
"""

from __future__ import annotations

import torch

from ...engine.int8_front import int8_supported
from ...engine.precision import PRECISIONS, resolve_precision

LIVE_PRECISIONS = (*PRECISIONS, "int8")
"""Accepted ``live_options["precision"]`` values."""

INT8_CAPABILITIES = ("AVX2", "AVX512")
"""``torch.backends.cpu.get_cpu_capability()`` prefixes on which ``"auto"`` picks int8 (AMX machines report AVX512)."""


def maps_precision(option: str, device: torch.device, capability: str | None = None) -> str:
    """``"int8"``, ``"bfloat16"`` or ``"float32"``: what live maps should run in for ``option``."""
    if option == "int8":
        return "int8"
    if option == "auto" and device.type == "cpu" and int8_supported() is None:
        capability = capability or torch.backends.cpu.get_cpu_capability()
        if capability.startswith(INT8_CAPABILITIES):
            return "int8"
    return float_precision(option, device)


def float_precision(option: str, device: torch.device) -> str:
    """The floating-point precision for ``option`` (int8's stand-in while it builds, and dreams')."""
    return resolve_precision("auto" if option == "int8" else option, device)
