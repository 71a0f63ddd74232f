"""Which floating-point precision the optimization loops run the network in.

bfloat16 autocast roughly halves the time of a step on CPUs with native
bfloat16 matrix units (AVX512-BF16 / AMX) and on recent GPUs, while the
picture and the optimizer stay in float32. Elsewhere it is emulated and
slower, so ``"auto"`` picks it only where it is native.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch


PRECISIONS = ("auto", "float32", "bfloat16")
"""Accepted precision names."""


def bf16_native(device: torch.device) -> bool:
    """Whether ``device`` has native bfloat16 matrix multiplication."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """``"float32"`` or ``"bfloat16"`` from ``"auto"``, ``"float32"`` or ``"bfloat16"``."""
    if precision == "auto":
        return "bfloat16" if bf16_native(device) else "float32"
    if precision in ("float32", "bfloat16"):
        return precision
    raise ValueError(f"unknown precision {precision!r}; use 'auto', 'float32' or 'bfloat16'")


def autocast_context(precision: str, device: torch.device):
    """A context manager running the model's forward in ``precision``."""
    if precision == "bfloat16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()
