"""Leave the user's model exactly as we found it.

Every engine operation runs inside :func:`preserved`. It records each module's
``training`` flag, each parameter's ``requires_grad`` and ``.grad``, every hook
dictionary, and a copy of every buffer, and puts all of it back in a
``finally`` block, so the model is restored also when the operation raised or
was cancelled.

Operations may overlap (a maximization in a worker thread while the grid is
recomputed on the kernel's thread): the first to enter takes the snapshot and
the last to leave restores it, so an inner exit never undoes an outer
operation's setup.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import torch
from torch import nn

HOOK_DICTS = (
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
    "_backward_hooks",
    "_backward_pre_hooks",
    "_state_dict_hooks",
    "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)


@dataclass
class ModelSnapshot:
    """What :func:`preserved` restores: flags, gradients, hooks and buffers."""

    training: dict[nn.Module, bool] = field(default_factory=dict)
    requires_grad: dict[nn.Parameter, bool] = field(default_factory=dict)
    grads: dict[nn.Parameter, torch.Tensor | None] = field(default_factory=dict)
    hooks: dict[tuple[nn.Module, str], OrderedDict] = field(default_factory=dict)
    buffers: dict[tuple[nn.Module, str], tuple[torch.Tensor, int, torch.Tensor]] = field(
        default_factory=dict
    )

    @classmethod
    def take(cls, model: nn.Module) -> "ModelSnapshot":
        """Record the state of ``model`` and all of its submodules."""
        snap = cls()
        for module in model.modules():
            snap.training[module] = module.training
            for name in HOOK_DICTS:
                hooks = getattr(module, name, None)
                if isinstance(hooks, dict):
                    snap.hooks[(module, name)] = OrderedDict(hooks)
            for name, buf in module._buffers.items():
                if buf is not None:
                    snap.buffers[(module, name)] = (buf, buf._version, buf.detach().clone())
        for param in model.parameters():
            snap.requires_grad[param] = param.requires_grad
            snap.grads[param] = param.grad
        return snap

    def restore(self) -> None:
        """Put every recorded flag, gradient, hook and buffer back."""
        for module, flag in self.training.items():
            module.training = flag
        for param, flag in self.requires_grad.items():
            param.requires_grad_(flag)
        for param, grad in self.grads.items():
            param.grad = grad
        for (module, name), hooks in self.hooks.items():
            current = getattr(module, name)
            current.clear()
            current.update(hooks)
        with torch.no_grad():
            for (module, name), (buf, version, copy) in self.buffers.items():
                if module._buffers.get(name) is not buf:
                    module._buffers[name] = buf
                if buf._version != version:
                    buf.copy_(copy)


@dataclass
class _Guard:
    depth: int = 0
    snapshot: ModelSnapshot | None = None


_GUARDS: "weakref.WeakKeyDictionary[nn.Module, _Guard]" = weakref.WeakKeyDictionary()
_GUARDS_LOCK = threading.Lock()


def active_operations(model: nn.Module) -> int:
    """How many engine operations are running on ``model`` right now."""
    with _GUARDS_LOCK:
        guard = _GUARDS.get(model)
        return guard.depth if guard else 0


@contextmanager
def preserved(model: nn.Module, *, freeze: bool = True) -> Iterator[nn.Module]:
    """Run a block with ``model`` in eval mode and restore it afterwards.

    Args:
        model: the user's model. Its state is restored even if the block raises.
        freeze: also switch ``requires_grad`` off on every parameter, so that
            backward passes compute gradients for the input only and never
            accumulate into the model's ``.grad``.

    Yields:
        The same model, in eval mode.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"expected a torch.nn.Module, got {type(model).__name__}; pass the model itself, "
            "for example torchvision.models.resnet18()"
        )
    if isinstance(model, torch.jit.ScriptModule):
        raise TypeError(
            "this is a TorchScript module (torch.jit.script/trace), which does not run Python hooks; "
            "pass the original nn.Module instead"
        )
    with _GUARDS_LOCK:
        guard = _GUARDS.setdefault(model, _Guard())
        if guard.depth == 0:
            guard.snapshot = ModelSnapshot.take(model)
        guard.depth += 1
        model.eval()
        if freeze:
            for param in model.parameters():
                param.requires_grad_(False)
    try:
        yield model
    finally:
        with _GUARDS_LOCK:
            guard.depth -= 1
            if guard.depth == 0 and guard.snapshot is not None:
                guard.snapshot.restore()
                guard.snapshot = None
