"""The pure-torch engine: layer catalog, activations, feature visualization.

Nothing in here imports the widget; everything works headless.
"""

from .activations import activations, activations_for_tensor, layer_outputs
from .images import ImageError, load_image
from .layer_catalog import LayerError, LayerInfo, find_layer, layers
from .layer_choice import default_layer
from .model_guard import preserved
from .preprocessing import Preprocess
from . import objectives
from .deepdream import deepdream
from .maximize import Maximizer, maximize
from .accentuate import Accentuation, accentuate
from .class_names import class_names
from .predictions import Prediction, predictions
from .attribution import attribute
from .first_layer_filters import Filters, filters
from .adversarial import Adversarial, adversarial
from .cancellable_forward import Cancelled

__all__ = [
    "ImageError",
    "LayerError",
    "LayerInfo",
    "Preprocess",
    "activations",
    "activations_for_tensor",
    "default_layer",
    "find_layer",
    "layer_outputs",
    "layers",
    "load_image",
    "preserved",
    "Maximizer",
    "Accentuation",
    "accentuate",
    "deepdream",
    "maximize",
    "objectives",
    "Prediction",
    "class_names",
    "predictions",
    "attribute",
    "Filters",
    "filters",
    "Adversarial",
    "adversarial",
    "Cancelled",
]
