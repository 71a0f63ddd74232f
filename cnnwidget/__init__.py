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

from .engine import Maximizer, accentuate, deepdream, maximize, objectives
from .engine import Prediction, class_names, predictions
from .engine import Adversarial, Cancelled, Filters, adversarial, attribute, filters
from . import atlas  # the subpackage (cnnwidget.atlas.store ...); callable until 0.2, deprecated
from .atlas import build_atlas
from .dataset_examples import Example, ExampleIndex, dataset_examples  # its modules: cnnwidget.dataset_examples.<module>

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
    "accentuate",
    "deepdream",
    "maximize",
    "objectives",
    "atlas",
    "build_atlas",
    "dataset_examples",
    "Example",
    "ExampleIndex",
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

from .version import __version__  # noqa: E402


def __getattr__(name: str):
    # The widget pulls in anywidget; import it only when asked for.
    if name == "CNNExplorer":
        from .widget.explorer import CNNExplorer

        return CNNExplorer
    raise AttributeError(f"module 'cnnwidget' has no attribute {name!r}")
