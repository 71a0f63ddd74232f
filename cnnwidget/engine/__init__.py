"""The pure-torch engine: layer catalog, activations, feature visualization.

Nothing in here imports the widget; everything works headless.
"""

from .activations import activations, layer_outputs
from .images import ImageError, load_image
from .layer_catalog import LayerError, LayerInfo, find_layer, layers
from .model_guard import preserved
from .preprocessing import Preprocess

__all__ = [
    "ImageError",
    "LayerError",
    "LayerInfo",
    "Preprocess",
    "activations",
    "find_layer",
    "layer_outputs",
    "layers",
    "load_image",
    "preserved",
]
