"""DeepDream for a video stream: a few steps per frame, carried over from frame to frame.

Each new camera frame is blended with the previous dreamed frame, so the
dream builds up over time instead of restarting (temporal coherence), and a
few gradient-ascent steps on the chosen layer's activation norm are taken.
"""

from __future__ import annotations

import numpy as np
import torch

from .layer_catalog import capture_for
from .model_guard import preserved
from .placement import model_device, model_dtype
from .precision import autocast_context, resolve_precision
from .preprocessing import Preprocess, resolve_preprocess


class FrameDreamer:
    """Dream frame after frame on one layer.

    Args:
        model: the network (left exactly as found after each frame).
        layer: layer whose activation norm is increased.
        steps: gradient steps per frame.
        lr: step size, in units of the normalized gradient (pixels in [0, 1]).
        carry: weight of the previous dream in the starting picture of the next frame.
        preprocess: the model's normalization (a :class:`Preprocess`, or ``None`` for the model's own).
        precision: "auto" (bfloat16 autocast where the device has it natively: ~2x faster on
            CPUs with AMX), "float32" or "bfloat16"; the picture itself stays float32.
    """

    def __init__(self, model, layer: str, *, steps: int = 3, lr: float = 0.02, carry: float = 0.7, preprocess=None,
                 precision: str = "auto") -> None:
        if steps < 1:
            raise ValueError(f"steps must be at least 1, got {steps}")
        if not 0.0 <= carry < 1.0:
            raise ValueError(f"carry must be in [0, 1), got {carry}")
        self.model = model
        self.layer = layer
        self.steps = steps
        self.lr = lr
        self.carry = carry
        self.precision = resolve_precision(precision, model_device(model))
        transform = resolve_preprocess(preprocess, model)
        self.normalize = transform.normalize if isinstance(transform, Preprocess) else Preprocess().normalize
        self._previous: torch.Tensor | None = None

    def reset(self) -> None:
        """Forget the previous dream (the next frame starts fresh)."""
        self._previous = None

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """Dream ``frame`` (``(H, W, 3)`` uint8) and return the dreamed ``(H, W, 3)`` uint8 picture."""
        # (1, H, W, 3) viewed as (1, 3, H, W): channels-last, which CPU convolutions run fastest.
        pixels = torch.from_numpy(np.ascontiguousarray(frame))[None].permute(0, 3, 1, 2).float() / 255.0
        if self._previous is not None and self._previous.shape == pixels.shape:
            pixels = self.carry * self._previous + (1 - self.carry) * pixels
        capture = capture_for(self.model, [self.layer], tuple(pixels.shape[-2:]))
        device, dtype = model_device(self.model), model_dtype(self.model)
        pixels = pixels.to(device)
        autocast = self.precision if dtype == torch.float32 else "float32"
        with preserved(self.model), torch.enable_grad(), autocast_context(autocast, device):
            with capture:
                for _ in range(self.steps):
                    pixels = pixels.detach().requires_grad_(True)
                    acts = capture.run(self.normalize(pixels))[self.layer]
                    (grad,) = torch.autograd.grad(acts.float().pow(2).mean(), pixels)
                    step = self.lr * grad / (grad.abs().mean() + 1e-8)
                    pixels = (pixels + step).clamp(0, 1)
        self._previous = pixels.detach()
        out = (pixels.detach()[0].permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)
        return out
