"""Forward hooks that record chosen layers' outputs and stop the forward pass early.

The network is run only as far as it must be: once the last call of the
deepest requested layer has produced its output, a private exception unwinds
the rest of the forward pass. Hooks are always removed on exit.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable, Mapping

import torch
from torch import nn

from .model_input import DEVICE_MIXUP_FIX, DeviceError, is_device_mixup


class _StopForward(Exception):
    """Raised from a hook to end the forward pass once every output is in."""


def first_tensor(output) -> torch.Tensor | None:
    """The tensor a module produced: itself, or the first tensor in a tuple, list or dict."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        for item in output:
            found = first_tensor(item)
            if found is not None:
                return found
    if isinstance(output, Mapping):
        for item in output.values():
            found = first_tensor(item)
            if found is not None:
                return found
    return None


class LayerCapture:
    """Context manager that captures the outputs of named modules.

    Args:
        model: the network (its hooks are restored on exit).
        names: dotted module names, as in ``model.named_modules()``.
        calls: how many times each module runs in one forward pass (a
            module reused inside a block, like ResNet's ReLU, runs twice);
            the output of its last call is kept. Defaults to 1 each.
        stop_early: end the forward pass once all outputs are captured.
        edit: optional ``edit(name, tensor) -> tensor`` applied to each
            captured output before it flows on (used to steer gradients).
        layouts: ``{name: LayerLayout}``; each output is returned as its
            canonical ``(N, C, H, W)`` maps (see :mod:`~cnnwidget.engine.layouts`),
            and class/register tokens are kept apart in :attr:`tokens`. Without
            it, outputs are returned as the module produced them.
        prepare: optional ``prepare(x) -> x`` applied to the batch before the
            forward pass (a :class:`~cnnwidget.engine.model_input.ModelInput`:
            device, dtype, channels, size).

    Use :meth:`run` to do the forward pass; it returns ``{name: tensor}``.
    The hooks act only during this capture's own :meth:`run`, in the thread
    that called it, so other operations on the same model (another thread, or
    the same thread between steps) pass through them untouched.
    """

    def __init__(
        self,
        model: nn.Module,
        names: Iterable[str],
        *,
        calls: Mapping[str, int] | None = None,
        stop_early: bool = True,
        edit: Callable[[str, torch.Tensor], torch.Tensor] | None = None,
        layouts: Mapping | None = None,
        prepare: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        self.model = model
        self.names = list(dict.fromkeys(names))
        self.calls = {n: (calls or {}).get(n, 1) for n in self.names}
        self.stop_early = stop_early
        self.edit = edit
        self.layouts = dict(layouts or {})
        self.prepare = prepare
        self.outputs: dict[str, torch.Tensor] = {}
        self.tokens: dict[str, torch.Tensor] = {}
        self._seen: dict[str, int] = {}
        self._handles: list = []
        self._running_in: int | None = None

    def __enter__(self) -> "LayerCapture":
        modules = dict(self.model.named_modules())
        for name in self.names:
            self._handles.append(modules[name].register_forward_hook(self._hook_for(name)))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _hook_for(self, name: str):
        def hook(module, inputs, output):
            if self._running_in != threading.get_ident():
                return None
            self._seen[name] = self._seen.get(name, 0) + 1
            if self._seen[name] < self.calls[name]:
                return None
            tensor = first_tensor(output)
            replaced = None
            if tensor is not None and self.edit is not None:
                edited = self.edit(name, tensor)
                if edited is not tensor and isinstance(output, torch.Tensor):
                    replaced = edited
                tensor = edited
            layout = self.layouts.get(name)
            if layout is not None and tensor is not None:
                extra = layout.extra_tokens(tensor)
                if extra is not None:
                    self.tokens[name] = extra
                tensor = layout.maps(tensor)
            self.outputs[name] = tensor
            if self.stop_early and len(self.outputs) == len(self.names):
                raise _StopForward
            return replaced

        return hook

    def run(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Run the model on ``x`` and return the captured outputs by name."""
        self.outputs = {}
        self.tokens = {}
        self._seen = {}
        if self.prepare is not None:
            x = self.prepare(x)
        self._running_in = threading.get_ident()
        try:
            self.model(x)
        except _StopForward:
            pass
        except RuntimeError as err:
            if is_device_mixup(err):
                raise DeviceError(f"{str(err).splitlines()[0]}: {DEVICE_MIXUP_FIX}") from err
            raise
        finally:
            self._running_in = None
        missing = [n for n in self.names if n not in self.outputs]
        if missing:
            raise RuntimeError(
                f"layer(s) {missing} did not run in the forward pass; "
                "pick a layer that the model's forward() actually calls (see cnnwidget.layers(model))"
            )
        return self.outputs
