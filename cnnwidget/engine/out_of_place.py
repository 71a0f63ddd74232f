"""Switch in-place activations (``ReLU(inplace=True)``) off for the length of a block.

Attribution needs every layer output it reads to stay as computed: an in-place
ReLU after a hooked layer overwrites that layer's captured output, and
autograd's backward hooks (Guided Backprop's) refuse in-place outputs. Each
module's ``inplace`` flag is put back on exit, also on errors; the results do
not change, only where they are stored.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from torch import nn


@contextmanager
def out_of_place(model: nn.Module) -> Iterator[nn.Module]:
    """Run a block with every module's ``inplace`` flag off; restore the flags afterwards."""
    switched = [m for m in model.modules() if getattr(m, "inplace", None) is True]
    for module in switched:
        module.inplace = False
    try:
        yield model
    finally:
        for module in switched:
            module.inplace = True
