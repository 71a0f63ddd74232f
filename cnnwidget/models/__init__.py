"""Models for cnnwidget: loading from one spec, and the offline default model.

    import cnnwidget
    model = cnnwidget.load_model("default")        # ships with the package, works offline
    model = cnnwidget.load_model("resnet18")       # torchvision, pretrained
    model = cnnwidget.load_model("timm:resnet18")  # timm, pretrained
"""

from .default_model import DEFAULT_WEIGHTS, default_model
from .default_net import DefaultNet
from .demo import DemoChoice, pick_demo_model
from .hub import WeightsUnavailableError, cached_weights_path
from .loading import ModelSpecError, load_model

__all__ = [
    "DEFAULT_WEIGHTS",
    "DefaultNet",
    "DemoChoice",
    "ModelSpecError",
    "WeightsUnavailableError",
    "cached_weights_path",
    "default_model",
    "load_model",
    "pick_demo_model",
]
