"""An int8-quantized copy of a network's front, up to one layer, for fast live maps on CPUs.

PyTorch's x86 quantization backend (FBGEMM and oneDNN int8 kernels, chosen per operator by
``torch.backends.quantized.engine == "x86"``) runs convolutions with 8-bit integers: on one
thread, resnet18 up to ``layer3`` at 224 px takes about a quarter of the float32 time with
AVX-512 and about half with AVX2 only (``benchmarks/RESULTS.md``, bench_live's int8 lever).

How the copy is made (FX graph mode post-training static quantization):

1. (:func:`prepare_int8_front`) the model is deep-copied (the user's model is only read) and traced with
   :func:`torchvision.models.feature_extraction.create_feature_extractor`, which cuts the graph
   right after ``layer`` (and, on request, keeps the model's final output too: the logits);
   ``prepare_fx`` with the backend's default qconfig mapping fuses conv + batch-norm + ReLU and
   inserts observers; (:func:`finish_int8_front`) a few calibration pictures (the widget passes the bundled sample photos)
   set the activation ranges; ``convert_fx`` swaps in the int8 modules;
2. the int8 maps are checked against the float32 maps on a held-out picture: when their median
   per-channel Pearson correlation is below :data:`MIN_AGREEMENT`, or their relative error above
   :data:`MAX_RELATIVE_ERROR`, the copy is refused.

With the logits, the converted graph is also cut in two (:func:`split_maps_first`): the part that
gives the maps, and the rest of the network, run on what the first part hands over. The live
widget sends a frame's maps as soon as the first part ran, and computes the class scores after.

Anything that fails (a model FX cannot trace, a layer outside the traced graph, an operator
without an int8 kernel, a non-CPU or non-float32 model, poor agreement) raises
:class:`Int8Unavailable` with the reason, and the caller stays on float32.
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from torch import nn

from .placement import model_device, model_dtype

MIN_AGREEMENT = 0.9
"""Smallest accepted median per-channel Pearson correlation of int8 against float32 maps."""

MAX_RELATIVE_ERROR = 0.25
"""Largest accepted relative error ``||int8 - float32|| / ||float32||`` of the maps."""

INT8_ENGINES = ("x86", "fbgemm", "onednn")
"""Quantized engines with int8 convolution kernels for x86 CPUs."""

MAPS, LOGITS = "maps", "logits"


class Int8Unavailable(RuntimeError):
    """The model (or this machine) has no int8 copy; the message says why."""


def int8_supported() -> str | None:
    """``None`` when this machine runs int8 convolutions, else the reason it does not."""
    engine = torch.backends.quantized.engine
    if engine not in INT8_ENGINES:
        return f"the quantized engine is {engine!r}, not an x86 one ({', '.join(INT8_ENGINES)})"
    return None


def map_agreement(int8: torch.Tensor, reference: torch.Tensor) -> dict[str, float]:
    """How close ``int8`` maps ``(C, H, W)`` are to ``reference`` maps of the same shape.

    Returns ``{"pearson_median", "pearson_p10", "relative_error"}``: the median and 10th
    percentile over channels of the per-channel Pearson correlation (channels that are constant
    in both count as 1), and ``||int8 - reference|| / ||reference||`` over all values.
    """
    a = int8.float().flatten(1)
    b = reference.float().flatten(1)
    a0, b0 = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    na, nb = a0.norm(dim=1), b0.norm(dim=1)
    flat = (na < 1e-6) & (nb < 1e-6)
    r = (a0 * b0).sum(1) / (na * nb).clamp_min(1e-12)
    r = torch.where(flat, torch.ones_like(r), r)
    relative = float((a - b).norm() / b.norm().clamp_min(1e-12))
    return {"pearson_median": float(r.median()), "pearson_p10": float(r.quantile(0.1)), "relative_error": relative}


@dataclass
class Int8Front:
    """The int8 copy of a model up to ``layer``: ``front(x) -> (maps, logits or None)``.

    Attributes:
        layer: the layer whose output the copy ends with.
        logits: whether the copy also gives the model's final output (the whole network runs).
        agreement: :func:`map_agreement` of its maps against float32 on the held-out picture.
        build_s: seconds the copy took to build.
    """

    module: nn.Module = field(repr=False)
    layer: str
    logits: bool
    agreement: dict
    build_s: float
    parts: tuple[nn.Module, nn.Module] | None = field(default=None, repr=False)

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Maps ``(N, C, H, W)`` float32 of ``layer`` (and the logits) for a normalized batch ``x``."""
        with torch.no_grad():
            out = self.module(x.float())
        return out[MAPS], out.get(LOGITS)

    def maps_first(self, x: torch.Tensor) -> tuple[torch.Tensor, Callable[[], torch.Tensor | None]]:
        """The maps of ``x`` now, and a function that computes the logits later (the rest of the
        network, when the copy was split; else the logits already computed, or ``None``)."""
        if self.parts is None:
            maps, logits = self(x)
            return maps, lambda: logits
        front, rest = self.parts
        with torch.no_grad():
            maps, *carried = front(x.float())

        def logits() -> torch.Tensor:
            with torch.no_grad():
                return rest(*carried)

        return maps, logits


def _trace(model: nn.Module, layer: str, logits: bool, copy_model: bool) -> nn.Module:
    from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

    twin = (copy.deepcopy(model) if copy_model else model).eval()
    for p in twin.parameters():
        p.requires_grad_(False)
    for module in twin.modules():  # the user's hooks came along with the copy: they must not run on it
        for name, value in vars(module).items():
            if "hook" in name and isinstance(value, dict):
                value.clear()
    _, nodes = get_graph_node_names(twin)
    if layer not in nodes and not any(n.startswith(layer + ".") for n in nodes):
        raise Int8Unavailable(f"layer {layer!r} is not a node of the traced graph")
    returns = {layer: MAPS}
    if logits:
        returns[nodes[-1]] = LOGITS
    return create_feature_extractor(twin, returns)


@dataclass
class PreparedInt8Front:
    """A traced copy with observers in place, waiting for calibration (:func:`finish_int8_front`)."""

    module: nn.Module = field(repr=False)
    layer: str
    logits: bool
    check: torch.Tensor = field(repr=False)
    reference: torch.Tensor = field(repr=False)
    reference_logits: torch.Tensor | None = field(repr=False)
    prepare_s: float


def _checks(model: nn.Module) -> None:
    reason = int8_supported()
    if reason:
        raise Int8Unavailable(reason)
    if model_device(model).type != "cpu" or model_dtype(model) != torch.float32:
        raise Int8Unavailable(f"int8 runs float32 CPU models; this one is {model_dtype(model)} on {model_device(model)}")


def _unavailable(err: Exception) -> Int8Unavailable:
    first = str(err).splitlines()[0] if str(err) else ""
    return Int8Unavailable(f"{type(err).__name__}: {first}"[:300])


def prepare_int8_front(model: nn.Module, layer: str, check: torch.Tensor, *, logits: bool = False,
                       copy_model: bool = True) -> PreparedInt8Front:
    """Trace ``model`` up to ``layer``, compute the float32 reference for ``check`` and insert observers.

    FX tracing replaces ``torch.nn.Module.__call__`` for the whole process while it runs, so a
    forward pass of another thread fails meanwhile: call this where no other forward pass runs
    (the widget calls it on its live thread, between frames). :func:`finish_int8_front` is free
    of that constraint.

    Args:
        model: a float32 CPU network with ``(N, C, H, W)`` maps at ``layer``.
        layer: dotted module name, as in :func:`cnnwidget.layers`.
        check: a normalized ``(1, 3, H, W)`` picture the int8 maps are checked on.
        logits: keep the model's final output too (then the whole network is quantized).
        copy_model: work on a deep copy of ``model`` (the default). ``False`` hands over a model
            that is already a private copy: it is then turned into the int8 copy in place.

    Raises:
        Int8Unavailable: no int8 copy for this model, layer or machine; the message says why.
    """
    start = time.perf_counter()
    _checks(model)
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import prepare_fx

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FX/quantization deprecation notices
            front = _trace(model, layer, logits, copy_model)
            with torch.no_grad():
                reference = front(check.float())
            if reference[MAPS].dim() != 4:
                raise Int8Unavailable(f"layer {layer!r} gives {tuple(reference[MAPS].shape)}, not (N, C, H, W) maps")
            if logits and reference[LOGITS].dim() != 2:
                raise Int8Unavailable("the model's output is not (N, classes) scores")
            mapping = get_default_qconfig_mapping(torch.backends.quantized.engine)
            prepared = prepare_fx(front, mapping, example_inputs=(check.float(),))
    except Int8Unavailable:
        raise
    except Exception as err:  # FX cannot trace the model, or quantization refuses an operator
        raise _unavailable(err) from err
    return PreparedInt8Front(prepared, layer, logits, check, reference[MAPS], reference.get(LOGITS),
                             time.perf_counter() - start)


def finish_int8_front(prepared: PreparedInt8Front, calibration: Sequence[torch.Tensor], *,
                      min_agreement: float = MIN_AGREEMENT) -> Int8Front:
    """Calibrate on ``calibration`` (normalized ``(1, 3, H, W)`` pictures), convert to int8 and check
    the maps against float32 (see :func:`map_agreement`; refused below ``min_agreement`` or above
    :data:`MAX_RELATIVE_ERROR`). Safe beside other threads' forward passes.

    Raises:
        Int8Unavailable: int8 kernels refused the model, or its maps agree too little; the message says why.
    """
    start = time.perf_counter()
    from torch.ao.quantization.quantize_fx import convert_fx

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with torch.no_grad():
                for x in calibration:
                    prepared.module(x.float())
            module = convert_fx(prepared.module)
            with torch.no_grad():
                out = module(prepared.check.float())
    except Exception as err:  # an operator without an int8 kernel
        raise _unavailable(err) from err
    agreement = map_agreement(out[MAPS][0], prepared.reference[0])
    if prepared.logits:
        agreement["logits_top1_same"] = float(out[LOGITS].argmax() == prepared.reference_logits.argmax())
    if not (agreement["pearson_median"] >= min_agreement and agreement["relative_error"] <= MAX_RELATIVE_ERROR):
        raise Int8Unavailable(f"int8 maps agree too little with float32 (median channel correlation "
                              f"{agreement['pearson_median']:.3f}, at least {min_agreement}; relative error "
                              f"{agreement['relative_error']:.3f}, at most {MAX_RELATIVE_ERROR})")
    parts = None
    if prepared.logits:
        try:
            parts = split_maps_first(module)
            with torch.no_grad():
                maps, *carried = parts[0](prepared.check.float())
                same = torch.equal(maps, out[MAPS]) and torch.equal(parts[1](*carried), out[LOGITS])
            parts = parts if same else None
        except Exception:  # a graph that does not cut cleanly: maps and logits come together
            parts = None
    return Int8Front(module, prepared.layer, prepared.logits, agreement, prepared.prepare_s + time.perf_counter() - start,
                     parts)


def split_maps_first(module: "torch.fx.GraphModule") -> tuple["torch.fx.GraphModule", "torch.fx.GraphModule"]:
    """Cut a graph that returns ``{"maps": ..., "logits": ...}`` in two: ``first(x) -> (maps,
    *carried)`` runs only what the maps need; ``rest(*carried) -> logits`` runs the remainder on the
    values of the first part that it uses. Together they compute what ``module`` computes."""
    from torch import fx

    graph = module.graph
    output = next(n for n in graph.nodes if n.op == "output")
    returned = output.args[0]
    maps_node, logits_node = returned[MAPS], returned[LOGITS]
    first = _with_inputs(maps_node)
    rest = [n for n in graph.nodes if n in _with_inputs(logits_node) and n not in first]
    rest_set = set(rest)
    carried = [n for n in graph.nodes if n in first and any(user in rest_set for user in n.users)]

    head, env = fx.Graph(), {}
    for node in graph.nodes:
        if node in first:
            env[node] = head.node_copy(node, lambda a: env[a])
    head.output((env[maps_node], *(env[n] for n in carried)))
    tail, env2 = fx.Graph(), {}
    for i, node in enumerate(carried):
        env2[node] = tail.placeholder(f"carried_{i}")
    for node in rest:
        env2[node] = tail.node_copy(node, lambda a: env2[a])
    tail.output(env2[logits_node])
    return fx.GraphModule(module, head), fx.GraphModule(module, tail)


def _with_inputs(node) -> set:
    """``node`` and every node it depends on."""
    seen, todo = set(), [node]
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(n.all_input_nodes)
    return seen


def build_int8_front(model: nn.Module, layer: str, calibration: Sequence[torch.Tensor], *,
                     logits: bool = False, min_agreement: float = MIN_AGREEMENT, copy_model: bool = True) -> Int8Front:
    """Build the int8 copy of ``model`` up to ``layer`` in one go (the model itself is only read):
    :func:`prepare_int8_front` on the last picture of ``calibration``, then
    :func:`finish_int8_front` on the others (at least two pictures in all). Same caveat as
    :func:`prepare_int8_front`: no other forward pass may run meanwhile.

    Raises:
        Int8Unavailable: no int8 copy for this model, layer or machine; the message says why.
    """
    if len(calibration) < 2:
        raise Int8Unavailable("int8 calibration needs at least two pictures")
    prepared = prepare_int8_front(model, layer, calibration[-1], logits=logits, copy_model=copy_model)
    return finish_int8_front(prepared, calibration[:-1], min_agreement=min_agreement)
