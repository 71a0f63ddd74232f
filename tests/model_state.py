"""The tests' own fingerprint of a model, written independently of the package.

The package keeps the user's model as found with ``cnnwidget.engine.model_guard``,
which restores a hand-kept list of hook dictionaries. If the tests used that same
list, a kind of hook the guard forgot would be invisible to them as well. So this
fingerprint finds its hook dictionaries by reflection:

- every attribute of every module (``vars(module)``), which covers each hook and
  state-dict hook dictionary torch has, the ``training`` flag and plain settings
  such as ``ReLU.inplace``;
- every hook attribute of the parameters' tensor type (``dir(torch.Tensor)``);
- every module-level global hook of ``torch.nn.modules.module``.

Parameters and buffers are compared bit for bit, with their dtype, device, shape
and object identity; gradients likewise. ``tests/test_model_state.py`` changes
each of these, one at a time, and checks that the fingerprint reports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

import torch
import torch.nn.modules.module as torch_module
from torch import nn

_CHILD_TABLES = ("_parameters", "_buffers", "_modules")  # walked one by one below


def _tensor_hook_names() -> list[str]:
    """Hook storage of a tensor (``_backward_hooks``, ``_post_accumulate_grad_hooks``, ...)."""
    return sorted(
        name for name in dir(torch.Tensor)
        if "hook" in name.lower() and not name.startswith("__") and not callable(getattr(torch.Tensor, name, None))
    )


def _global_hook_names() -> list[str]:
    """Module-level hook registries of ``torch.nn.modules.module`` (global forward/backward/registration hooks)."""
    return sorted(name for name, value in vars(torch_module).items() if "hook" in name.lower() and not callable(value))


class TensorPrint:
    """A tensor's identity, dtype, device, shape and exact bytes."""

    def __init__(self, tensor: torch.Tensor | None):
        self.present = tensor is not None
        if tensor is None:
            return
        self.identity = Same(tensor)
        self.dtype, self.device, self.shape = tensor.dtype, tensor.device, tuple(tensor.shape)
        self.requires_grad = tensor.requires_grad
        data = tensor.detach()
        self.bits = None if data.device.type == "meta" else data.cpu().contiguous().reshape(-1).view(torch.uint8).clone()

    def differences(self, other: "TensorPrint") -> list[str]:
        if self.present != other.present:
            return ["appeared" if other.present else "vanished"]
        if not self.present:
            return []
        found = []
        for what in ("identity", "dtype", "device", "shape", "requires_grad"):
            if getattr(self, what) != getattr(other, what):
                found.append(f"{what} {getattr(self, what)} -> {getattr(other, what)}")
        if not found and (self.bits is None) != (other.bits is None):
            found.append("values")
        if not found and self.bits is not None and not torch.equal(self.bits, other.bits):
            found.append("values")
        return found


def _plain(value: Any) -> Any:
    """A comparable record of a module attribute (hook dictionaries as their items, in order)."""
    if isinstance(value, torch.Tensor):
        return TensorPrint(value)
    if isinstance(value, Mapping):
        return ("mapping", type(value).__name__, [(key, _identity_or_value(item)) for key, item in value.items()])
    if isinstance(value, Set):
        return ("set", frozenset(map(_identity_or_value, value)))
    return _identity_or_value(value)


class Same:
    """Equal only to a record of the very same object (held, so its id cannot be reused)."""

    def __init__(self, value: Any):
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)

    def __repr__(self) -> str:
        return f"<{type(self.value).__name__} at {id(self.value):#x}>"


def _identity_or_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, bytes, torch.dtype, torch.device)):
        return ("value", value)
    if isinstance(value, tuple) and all(isinstance(v, (bool, int, float, str, type(None))) for v in value):
        return ("value", value)
    return Same(value)


def model_state(model: nn.Module) -> dict[str, Any]:
    """Fingerprint of ``model``: key -> record, compared by :func:`state_differences`."""
    state: dict[str, Any] = {}
    tensor_hooks = _tensor_hook_names()
    for prefix, module in model.named_modules(remove_duplicate=False):
        where = prefix or "<root>"
        state[f"module:{where}"] = Same(module)
        for attr, value in vars(module).items():
            if attr in _CHILD_TABLES:
                state[f"{attr}-names:{where}"] = ("value", tuple(value))
                continue
            state[f"attr:{where}.{attr}"] = _plain(value)
        for table in ("_parameters", "_buffers"):
            for name, tensor in vars(module)[table].items():
                key = f"{table[1:-1]}:{where}.{name}"
                state[key] = TensorPrint(tensor)
                if tensor is None:
                    continue
                state[f"{key}.grad"] = TensorPrint(tensor.grad)
                for hook_attr in tensor_hooks:
                    hooks = getattr(tensor, hook_attr, None)
                    state[f"{key}.{hook_attr}"] = _plain(hooks)
    for name in _global_hook_names():
        state[f"global:{name}"] = _plain(getattr(torch_module, name))
    return state


def state_differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints, one line per difference (empty when identical)."""
    found = [f"{key} {'vanished' if key in before else 'appeared'}" for key in sorted(set(before) ^ set(after))]
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key], after[key]
        if isinstance(old, TensorPrint) and isinstance(new, TensorPrint):
            found += [f"{key}: {what}" for what in old.differences(new)]
        elif isinstance(old, TensorPrint) or isinstance(new, TensorPrint) or old != new:
            found.append(f"{key}: changed")
    return found


def assert_same_state(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Assert two fingerprints are identical, naming the first differences."""
    differences = state_differences(before, after)
    assert not differences, "model changed: " + "; ".join(differences[:8])


__all__ = ["assert_same_state", "model_state", "state_differences"]
