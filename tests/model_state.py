"""A complete fingerprint of a model's state, to prove an operation left it untouched."""

from __future__ import annotations

import torch
from torch import nn

from cnnwidget.engine.model_guard import HOOK_DICTS


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


def assert_same_state(before: dict, after: dict) -> None:
    """Assert two fingerprints are identical, naming the first difference."""
    assert before.keys() == after.keys(), set(before) ^ set(after)
    for key, value in before.items():
        other = after[key]
        if isinstance(value, torch.Tensor):
            assert torch.equal(value, other), f"{key} changed"
        else:
            assert value == other, f"{key} changed: {value!r} -> {other!r}"
