"""A complete fingerprint of a model's state, to prove that an operation left it untouched."""

from __future__ import annotations

import torch
from torch import nn

from ..engine.model_guard import HOOK_DICTS


def model_state(model: nn.Module) -> dict:
    """Parameters, buffers, training flags, requires_grad, grads and hook dictionaries."""
    state = {}
    for name, param in model.named_parameters():
        state[f"param:{name}"] = param.detach().clone()
        state[f"requires_grad:{name}"] = param.requires_grad
        state[f"grad:{name}"] = None if param.grad is None else param.grad.detach().clone()
    for name, buf in model.named_buffers():
        state[f"buffer:{name}"] = buf.detach().clone()
    for name, module in model.named_modules():
        state[f"training:{name}"] = module.training
        for hooks in HOOK_DICTS:
            d = getattr(module, hooks, None)
            if isinstance(d, dict):
                state[f"hooks:{name}:{hooks}"] = list(d.items())
    return state


def state_differences(before: dict, after: dict) -> list[str]:
    """What differs between two fingerprints (empty when identical)."""
    changed = [f"{key} appeared or vanished" for key in sorted(set(before) ^ set(after))]
    for key in before.keys() & after.keys():
        value, other = before[key], after[key]
        if isinstance(value, torch.Tensor):
            same = isinstance(other, torch.Tensor) and value.shape == other.shape and torch.equal(value, other)
        else:
            same = value == other
        if not same:
            changed.append(f"{key} changed")
    return sorted(changed)


def assert_same_state(before: dict, after: dict) -> None:
    """Assert two fingerprints are identical, naming the differences."""
    differences = state_differences(before, after)
    assert not differences, "; ".join(differences[:5])
