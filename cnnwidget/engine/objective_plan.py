"""Which module outputs an objective needs, and whether its units exist in the model."""

from __future__ import annotations

from typing import Sequence

from torch import nn

from .layer_catalog import find_layer
from .objectives import OUTPUT, Objective
from .predictions import output_count


def objective_plan(model: nn.Module, objectives: Sequence[Objective], size: int) -> dict[str, int]:
    """The capture plan ``{layer name: calls per forward pass}`` for ``objectives`` at ``size`` px.

    Checks every channel, position and class the objectives name against the
    model (raising :class:`~cnnwidget.engine.objectives.ObjectiveError` or
    :class:`~cnnwidget.engine.layer_catalog.LayerError` with the fix). The
    model's own output, read by class objectives, is planned under
    :data:`~cnnwidget.engine.objectives.OUTPUT`.
    """
    names = list(dict.fromkeys(n for o in objectives for n in o.layers))
    infos = [find_layer(model, name, size, maps_only=False) for name in names if name != OUTPUT]
    calls = {info.name: info.calls for info in infos}
    shapes = {info.name: info.shape for info in infos}
    if OUTPUT in names:
        calls[OUTPUT] = 1
        shapes[OUTPUT] = (output_count(model, size), 1, 1)
    for objective in objectives:
        objective.check(shapes)
    return {name: calls[name] for name in names}
