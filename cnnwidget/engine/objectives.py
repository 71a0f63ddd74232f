"""What feature visualization maximizes: composable objectives and their string shorthand.

An :class:`Objective` maps the captured layer outputs of a batch to one value
per image, shape ``(N,)``. Objectives compose with ``+``, ``-`` and scalar
``*`` / ``/``::

    from cnnwidget import objectives as obj
    goal = obj.channel("layer3.1", 5) - 0.5 * obj.channel("layer3.1", 9)
    goal = obj.parse("layer3.1:5") + 0.1 * obj.diversity("layer3.1")

The shorthand :func:`parse` understands:

==================  ==============================================
``"layer3.1:5"``     channel 5 of ``layer3.1`` (mean over positions)
``"layer3.1:5@7,7"`` one neuron: channel 5 at row 7, column 7
``"layer3.1"``       the whole layer (mean of squares: DeepDream)
``"logits:207"``     class 207's logit (the model's output, any shape)
``"probs:207"``      class 207's log-probability (log-softmax of the output)
``"-layer3.1:5"``    the negative of any of the above
==================  ==============================================

``logits`` and ``probs`` always mean the model's output, never a module of
that name; the output need not be image-like: ``(N, K)`` scores are the usual
case, and extra dimensions are averaged.
"""

from __future__ import annotations

import re
from typing import Callable, Mapping, Sequence

import torch

Acts = Mapping[str, torch.Tensor]

OUTPUT = ""
"""The key under which the model's own output is captured: the root module's
name in ``model.named_modules()``. Objectives on classes read it."""

OUTPUT_WORDS = {"logits": "logit", "probs": "probability"}
"""Shorthand words for the model's output, and the class objective each one builds."""


class ObjectiveError(ValueError):
    """An objective that cannot be built or does not fit the model; the message names the fix."""


class Objective:
    """A differentiable score of a batch of images, higher is better.

    Args:
        fn: ``fn(acts) -> Tensor(N,)`` where ``acts`` maps layer names to
            their ``(N, C, H, W)`` outputs.
        layers: the layer names ``fn`` reads.
        name: a readable description, used in labels and progress bars.
        units: ``(layer, channel, y, x)`` tuples that must exist in the
            model (``y``/``x`` may be ``None``); checked by :meth:`check`.
    """

    def __init__(
        self,
        fn: Callable[[Acts], torch.Tensor],
        layers: Sequence[str],
        name: str,
        units: Sequence[tuple] = (),
    ) -> None:
        self.fn = fn
        self.layers = tuple(dict.fromkeys(layers))
        self.name = name
        self.units = tuple(units)

    def __call__(self, acts: Acts) -> torch.Tensor:
        """The objective's value for each image in the batch, shape ``(N,)``."""
        return self.fn(acts)

    def check(self, shapes: Mapping[str, tuple[int, int, int]]) -> None:
        """Raise :class:`ObjectiveError` if a channel or position is outside its layer's ``(C, H, W)``."""
        for layer_name, c, y, x in self.units:
            channels, height, width = shapes[layer_name]
            if layer_name == OUTPUT:
                if not 0 <= c < channels:
                    raise ObjectiveError(
                        f"class {c} is out of range: the model has {channels} outputs; use 0..{channels - 1}"
                    )
                continue
            if c is not None and not 0 <= c < channels:
                raise ObjectiveError(
                    f"channel {c} is out of range for layer {layer_name!r}, which has "
                    f"{channels} channels; use 0..{channels - 1}"
                )
            if y is not None and not (0 <= y < height and 0 <= x < width):
                raise ObjectiveError(
                    f"position @{y},{x} is outside layer {layer_name!r}, whose maps are "
                    f"{height}x{width}; use rows 0..{height - 1} and columns 0..{width - 1}"
                )

    def __add__(self, other) -> "Objective":
        if isinstance(other, (int, float)) and other == 0:
            return self  # lets sum() work
        other = as_objective(other)
        return Objective(
            lambda acts: self(acts) + other(acts),
            self.layers + other.layers,
            f"{self.name} + {other.name}",
            self.units + other.units,
        )

    __radd__ = __add__

    def __neg__(self) -> "Objective":
        return Objective(lambda acts: -self(acts), self.layers, f"-{self.name}", self.units)

    def __sub__(self, other) -> "Objective":
        return self + (-as_objective(other))

    def __rsub__(self, other) -> "Objective":
        return as_objective(other) + (-self)

    def __mul__(self, scalar) -> "Objective":
        if not isinstance(scalar, (int, float)):
            raise ObjectiveError(
                "objectives multiply only by numbers; to combine two objectives, add them"
            )
        return Objective(
            lambda acts: scalar * self(acts), self.layers, f"{scalar:g}*{self.name}", self.units
        )

    __rmul__ = __mul__

    def __truediv__(self, scalar) -> "Objective":
        return self * (1.0 / scalar)

    def __repr__(self) -> str:
        return f"Objective({self.name!r})"


def channel(layer_name: str, c: int) -> Objective:
    """Mean activation of channel ``c`` of ``layer_name`` over all positions.

    Example:
        >>> channel("layer3.1", 5)
        Objective('layer3.1:5')
    """
    c = int(c)
    return Objective(
        lambda acts: acts[layer_name][:, c].float().mean(dim=(-2, -1)),
        [layer_name],
        f"{layer_name}:{c}",
        [(layer_name, c, None, None)],
    )


def neuron(layer_name: str, c: int, y: int | None = None, x: int | None = None) -> Objective:
    """Activation of channel ``c`` of ``layer_name`` at one position (the centre by default)."""
    c = int(c)
    y = None if y is None else int(y)
    x = None if x is None else int(x)
    if (y is None) != (x is None):
        raise ObjectiveError("give both y and x for a neuron, or neither for the centre")

    def fn(acts: Acts) -> torch.Tensor:
        t = acts[layer_name]
        row = t.shape[-2] // 2 if y is None else y
        col = t.shape[-1] // 2 if x is None else x
        return t[:, c, row, col].float()

    where = "" if y is None else f"@{y},{x}"
    return Objective(fn, [layer_name], f"{layer_name}:{c}{where}", [(layer_name, c, y, x)])


def layer_objective(layer_name: str) -> Objective:
    """The DeepDream objective: mean of the squared activations of the whole layer.

    Exposed as ``cnnwidget.objectives.layer``.
    """
    return Objective(
        lambda acts: acts[layer_name].float().pow(2).mean(dim=(1, 2, 3)),
        [layer_name],
        layer_name,
    )


layer = layer_objective


def direction(layer_name: str, vector) -> Objective:
    """Mean over positions of the activation vector's projection on ``vector`` (``C`` numbers).

    ``vector`` is normalized to unit length; it must have as many entries as
    the layer has channels.
    """
    vec = torch.as_tensor(vector, dtype=torch.float32).flatten()
    if not torch.isfinite(vec).all() or vec.norm() == 0:
        raise ObjectiveError("the direction vector must be finite and not all zeros")
    vec = vec / vec.norm()

    def fn(acts: Acts) -> torch.Tensor:
        t = acts[layer_name].float()
        if t.shape[1] != vec.numel():
            raise ObjectiveError(
                f"the direction has {vec.numel()} entries but layer {layer_name!r} has "
                f"{t.shape[1]} channels; give one number per channel"
            )
        v = vec.to(t.device).view(1, -1, 1, 1)
        return (t * v).sum(dim=1).mean(dim=(-2, -1))

    return Objective(fn, [layer_name], f"direction({layer_name})")


def diversity(layer_name: str) -> Objective:
    """Pushes the images of a batch apart (Olah et al. 2017).

    Each image scores minus the mean cosine similarity between its Gram
    matrix at ``layer_name`` and those of the other images, so adding
    ``w * diversity(layer)`` to a channel objective with ``batch > 1`` gives
    different facets of the same unit. With one image it scores 0.
    """

    def fn(acts: Acts) -> torch.Tensor:
        t = acts[layer_name].float()
        n, c = t.shape[:2]
        if n < 2:
            return t.new_zeros(n)
        flat = t.reshape(n, c, -1)
        gram = torch.bmm(flat, flat.transpose(1, 2)).reshape(n, -1)
        gram = torch.nn.functional.normalize(gram, dim=1)
        sim = gram @ gram.T
        return -(sim.sum(dim=1) - sim.diagonal()) / (n - 1)

    return Objective(fn, [layer_name], f"diversity({layer_name})")


def _class_scores(acts: Acts) -> torch.Tensor:
    out = acts[OUTPUT].float()
    if out.dim() < 2:
        raise ObjectiveError(
            f"the model's output has shape {tuple(out.shape)}; class objectives need scores "
            "shaped (N, classes) or (N, classes, ...)"
        )
    return out.flatten(2).mean(-1) if out.dim() > 2 else out


def class_logit(k: int) -> Objective:
    """The model's score (logit) for class ``k``: class visualization (Simonyan et al. 2014).

    Reads the model's output, whatever its shape: ``(N, K)`` scores, or score
    maps ``(N, K, ...)`` averaged over their positions. Shorthand ``"logits:k"``.

    Example:
        >>> class_logit(207)
        Objective('logits:207')
    """
    k = int(k)
    return Objective(lambda acts: _class_scores(acts)[:, k], [OUTPUT], f"logits:{k}", [(OUTPUT, k, None, None)])


def class_probability(k: int) -> Objective:
    """The log-probability of class ``k`` (log-softmax of the output); shorthand ``"probs:k"``.

    Unlike :func:`class_logit` it also pushes the other classes down, so the
    picture is not just "more of everything".
    """
    k = int(k)
    return Objective(
        lambda acts: torch.log_softmax(_class_scores(acts), dim=1)[:, k],
        [OUTPUT],
        f"probs:{k}",
        [(OUTPUT, k, None, None)],
    )


_SHORTHAND = re.compile(
    r"^\s*(?P<neg>-)?\s*(?P<layer>[^:@\s]+)"
    r"(?::(?P<ch>\d+)(?:@(?P<y>\d+),(?P<x>\d+))?)?\s*$"
)


def parse(text: str) -> Objective:
    """Build an objective from the shorthand ``"layer[:channel[@y,x]]"``, optionally prefixed by ``-``.

    Raises:
        ObjectiveError: the text does not match; the message shows the forms.
    """
    match = _SHORTHAND.match(text) if isinstance(text, str) else None
    if match is None:
        raise ObjectiveError(
            f"cannot read the objective {text!r}; write 'layer:channel' (e.g. 'layer3.1:5'), "
            "'layer:channel@y,x' for one neuron, 'layer' for the whole layer, "
            "'logits:207' or 'probs:207' for a class, and prefix '-' to minimize"
        )
    name, ch = match["layer"], match["ch"]
    if name in OUTPUT_WORDS:
        if ch is None or match["y"] is not None:
            raise ObjectiveError(f"write {name!r} with a class index, e.g. '{name}:207'")
        built = class_logit(int(ch)) if name == "logits" else class_probability(int(ch))
    elif ch is None:
        built = layer_objective(name)
    elif match["y"] is None:
        built = channel(name, int(ch))
    else:
        built = neuron(name, int(ch), int(match["y"]), int(match["x"]))
    return -built if match["neg"] else built


def as_objective(value) -> Objective:
    """Return ``value`` if it is an :class:`Objective`, parse it if it is a string."""
    if isinstance(value, Objective):
        return value
    if isinstance(value, str):
        return parse(value)
    raise ObjectiveError(
        f"expected an objective or a string like 'layer3.1:5', got {type(value).__name__}"
    )
