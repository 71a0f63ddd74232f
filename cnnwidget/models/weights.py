"""How a ``weights`` argument asks for random weights: read in this one place."""

from __future__ import annotations


def wants_random_weights(weights) -> bool:
    """``None`` or ``"none"`` (any case, spaces around): build the model with random weights."""
    return weights is None or (isinstance(weights, str) and weights.strip().lower() == "none")
