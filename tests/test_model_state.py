"""Positive controls for the tests' model fingerprint (tests/model_state.py).

Each case changes one aspect of a model and checks that the fingerprint reports
that change, naming what changed; so "the model is exactly as found" in the other
tests means something. Every hook dictionary torch has, found by reflection, is
covered, also those the package's own guard does not list.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
import torch.nn.modules.module as torch_module
from torch import nn

from tests.model_state import _global_hook_names, _tensor_hook_names, model_state, state_differences


def net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(3, 4, 3),
            bn=nn.BatchNorm2d(4),
            relu=nn.ReLU(),
            head=nn.Sequential(nn.Flatten(), nn.Linear(4 * 6 * 6, 2)),
        )
    )


def hook(*args, **kwargs):
    return None


def set_param(model, value):
    with torch.no_grad():
        model.conv.weight[0, 0, 0, 0] = value


def grad_of_ones(model):
    model.conv.weight.grad = torch.ones_like(model.conv.weight)


def nudge_grad(model):
    model.conv.weight.grad[0, 0, 0, 0] += 1e-3


CHANGES = {
    # name: (prepare (may be None), change, a word the report must contain)
    "parameter value": (None, lambda m: set_param(m, m.conv.weight[0, 0, 0, 0].item() + 1e-6), "parameter:conv.weight: values"),
    "parameter value to -0.0 from 0.0 (bits)": (lambda m: set_param(m, 0.0), lambda m: set_param(m, -0.0), "values"),
    "parameter dtype": (None, lambda m: setattr(m.conv.weight, "data", m.conv.weight.data.double()), "dtype"),
    "parameter device": (None, lambda m: m.conv.to("meta"), "parameter:conv.weight: device"),
    "parameter object replaced by an equal copy": (
        None, lambda m: setattr(m.conv, "weight", nn.Parameter(m.conv.weight.detach().clone())), "identity"),
    "buffer value": (None, lambda m: m.bn.running_mean.add_(1e-6), "buffer:bn.running_mean: values"),
    "buffer counter": (None, lambda m: m.bn.num_batches_tracked.add_(1), "buffer:bn.num_batches_tracked"),
    "buffer dtype": (None, lambda m: setattr(m.bn, "running_var", m.bn.running_var.double()), "dtype"),
    "buffer device": (None, lambda m: setattr(m.bn, "running_var", m.bn.running_var.to("meta")), "device"),
    "buffer added": (None, lambda m: m.relu.register_buffer("extra", torch.zeros(1)), "appeared"),
    "training flag of a submodule": (None, lambda m: m.head.train(False), "head.training"),
    "training flag of the root": (None, lambda m: m.eval(), "<root>.training"),
    "requires_grad": (None, lambda m: m.head[1].bias.requires_grad_(False), "requires_grad"),
    "grad appears": (None, grad_of_ones, "parameter:conv.weight.grad: appeared"),
    "grad value": (grad_of_ones, nudge_grad, "parameter:conv.weight.grad: values"),
    "grad removed": (grad_of_ones, lambda m: setattr(m.conv.weight, "grad", None), "grad: vanished"),
    "plain setting (ReLU.inplace)": (None, lambda m: setattr(m.relu, "inplace", True), "relu.inplace"),
    "forward hook": (None, lambda m: m.conv.register_forward_hook(hook), "_forward_hooks"),
    "forward hook with kwargs": (None, lambda m: m.conv.register_forward_hook(hook, with_kwargs=True), "_forward_hooks_with_kwargs"),
    "always-called forward hook": (None, lambda m: m.conv.register_forward_hook(hook, always_call=True), "_forward_hooks_always_called"),
    "forward pre-hook": (None, lambda m: m.bn.register_forward_pre_hook(hook), "_forward_pre_hooks"),
    "forward pre-hook with kwargs": (None, lambda m: m.bn.register_forward_pre_hook(hook, with_kwargs=True), "_forward_pre_hooks_with_kwargs"),
    "full backward hook": (None, lambda m: m.head.register_full_backward_hook(hook), "_backward_hooks"),
    "backward pre-hook": (None, lambda m: m.head.register_full_backward_pre_hook(hook), "_backward_pre_hooks"),
    "state-dict hook": (None, lambda m: m.bn.register_state_dict_post_hook(hook) if hasattr(m.bn, "register_state_dict_post_hook") else m.bn._register_state_dict_hook(hook), "_state_dict_hooks"),
    "state-dict pre-hook": (None, lambda m: m.bn.register_state_dict_pre_hook(hook), "_state_dict_pre_hooks"),
    "load-state-dict pre-hook": (None, lambda m: m.bn.register_load_state_dict_pre_hook(hook) if hasattr(m.bn, "register_load_state_dict_pre_hook") else m.bn._register_load_state_dict_pre_hook(hook), "_load_state_dict_pre_hooks"),
    "load-state-dict post-hook": (None, lambda m: m.bn.register_load_state_dict_post_hook(hook), "_load_state_dict_post_hooks"),
    "tensor hook on a parameter": (None, lambda m: m.conv.weight.register_hook(lambda g: g), "parameter:conv.weight._backward_hooks"),
    "post-accumulate-grad hook on a parameter": (
        None, lambda m: m.conv.bias.register_post_accumulate_grad_hook(hook), "_post_accumulate_grad_hooks"),
    "submodule replaced": (None, lambda m: setattr(m, "relu", nn.ReLU()), "module:relu"),
    "plain attribute added": (None, lambda m: setattr(m.conv, "note", 1), "conv.note"),
}


@pytest.mark.parametrize("what", list(CHANGES))
def test_fingerprint_reports_each_change(what):
    prepare, change, expected = CHANGES[what]
    model = net()
    if prepare:
        prepare(model)
    before = model_state(model)
    assert state_differences(before, model_state(model)) == []  # the negative control
    change(model)
    differences = state_differences(before, model_state(model))
    assert differences, f"{what} went unnoticed"
    assert any(expected in line for line in differences), differences


def module_hook_dicts(module: nn.Module) -> list[str]:
    return sorted(name for name, value in vars(module).items() if "hook" in name and isinstance(value, dict))


def test_every_hook_dictionary_torch_has_is_watched():
    """Put one entry into each hook dictionary found on a module (whatever torch calls it)."""
    names = module_hook_dicts(nn.Conv2d(1, 1, 1))
    # the reflection really finds them (torch 2.x has at least these eleven)
    assert len(names) >= 11 and "_forward_hooks" in names and "_load_state_dict_post_hooks" in names
    for name in names:
        model = net()
        before = model_state(model)
        getattr(model.head[1], name)[987654] = hook
        differences = state_differences(before, model_state(model))
        assert any(f"head.1.{name}" in line for line in differences), (name, differences)


@pytest.mark.parametrize("name", _global_hook_names())
def test_every_global_hook_registry_is_watched(name):
    registry = getattr(torch_module, name)
    model = net()
    before = model_state(model)
    if isinstance(registry, dict):
        registry[987654] = hook
        try:
            differences = state_differences(before, model_state(model))
        finally:
            del registry[987654]
    else:  # a flag such as _global_is_full_backward_hook
        setattr(torch_module, name, not registry)
        try:
            differences = state_differences(before, model_state(model))
        finally:
            setattr(torch_module, name, registry)
    assert differences == [f"global:{name}: changed"]
    assert state_differences(before, model_state(model)) == []


def test_global_hook_registered_through_torch_api_is_seen():
    model = net()
    before = model_state(model)
    handle = torch.nn.modules.module.register_module_forward_hook(hook)
    try:
        assert "global:_global_forward_hooks: changed" in state_differences(before, model_state(model))
    finally:
        handle.remove()
    assert state_differences(before, model_state(model)) == []


def test_removing_a_user_hook_is_reported_too():
    model = net()
    handle = model.conv.register_forward_hook(hook)
    before = model_state(model)
    handle.remove()
    assert any("conv._forward_hooks" in line for line in state_differences(before, model_state(model)))


def test_tensor_hook_storage_is_found_by_reflection():
    assert {"_backward_hooks", "_post_accumulate_grad_hooks"} <= set(_tensor_hook_names())
