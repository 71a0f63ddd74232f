"""cnnwidget: see what a convolutional network sees, inside Jupyter.

Headless API::

    import cnnwidget, torchvision
    model = torchvision.models.resnet18()
    cnnwidget.layers(model)                       # layers with (C, H, W) outputs
    cnnwidget.activations(model, "cat.jpg", "layer3")
    cnnwidget.predictions(model, "cat.jpg")       # top-5 (index, name, probability)
    cnnwidget.attribute(model, "cat.jpg", 281, method="gradcam")   # where the evidence is
    cnnwidget.filters(model).sheet()              # the first layer's weights
    cnnwidget.adversarial(model, "cat.jpg", 207)  # make it say class 207

Widget::

    cnnwidget.CNNExplorer(model)
"""

from .engine import ImageError, LayerError, LayerInfo, Preprocess, activations, layers, load_image
from .data import sample, samples
from .models import WeightsUnavailableError, load_model

from .engine import Maximizer, deepdream, maximize, objectives
from .engine import Prediction, class_names, predictions
from .engine import Adversarial, Cancelled, Filters, adversarial, attribute, filters
from .atlas import atlas  # the function; its modules stay importable as cnnwidget.atlas.<module>

__all__ = [
    "CNNExplorer",
    "ImageError",
    "LayerError",
    "LayerInfo",
    "Preprocess",
    "activations",
    "layers",
    "load_image",
    "load_model",
    "sample",
    "samples",
    "WeightsUnavailableError",
    "Maximizer",
    "deepdream",
    "maximize",
    "objectives",
    "atlas",
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

__version__ = "0.1.0"


def __getattr__(name: str):
    # The widget pulls in anywidget; import it only when asked for.
    if name == "CNNExplorer":
        from .explorer import CNNExplorer

        return CNNExplorer
    raise AttributeError(f"module 'cnnwidget' has no attribute {name!r}")
