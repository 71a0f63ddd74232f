"""ImageNet's colour correlation, which every optimized picture's colours pass through.

Optimizing decorrelated colour components instead of RGB keeps colours
natural (Olah et al., "Feature Visualization", Distill 2017).
"""

from __future__ import annotations

import torch

# Square root of the colour covariance of ImageNet images (from Lucid), its
# columns scaled so that the largest has unit norm.
_COLOR_SQRT = torch.tensor(
    [[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype=torch.float64
)
COLOR_CORRELATION = (_COLOR_SQRT / _COLOR_SQRT.norm(dim=0).max()).float()
"""3x3 matrix mapping decorrelated colour components to (pre-sigmoid) RGB."""

__all__ = ["COLOR_CORRELATION"]
