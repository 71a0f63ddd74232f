"""The settings that determine an atlas's pictures, and the software that made them."""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass

from ..engine.parameterization import PARAMS


@dataclass(frozen=True)
class AtlasSettings:
    """Everything besides the model and the unit that decides a unit's picture.

    Attributes:
        steps: optimization steps per unit.
        size: picture side in pixels.
        seed: the global seed; each unit's own seed derives from it (see :func:`~cnnwidget.atlas.plan.unit_seed`).
        batch: units per task. Each picture has its own seed, noise and random views, but
            vectorized kernels (convolutions, FFTs) round the last bit differently for other
            batch sizes, and an optimization of many steps amplifies that into a different
            picture of the same unit. So tasks are cut from the whole unit list, the same
            way in every run (resumed or not), and a directory keeps one batch size.
        param: ``"fft"`` (the atlas's default), ``"soft"``, ``"maco"`` or ``"pixel"`` parameterization
            (see :func:`cnnwidget.maximize`).
        precision: ``"float32"`` (the default: the same pictures whatever the number of
            threads or the executor) or ``"auto"`` (bfloat16 where the device supports it
            natively: faster, but pictures then depend on the thread count and kernels).
    """

    steps: int = 128
    size: int = 128
    seed: int = 0
    batch: int = 16
    param: str = "fft"
    precision: str = "float32"

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be at least 1, got {self.steps}")
        if self.batch < 1:
            raise ValueError(f"batch must be at least 1, got {self.batch}")
        if self.size < 8:
            raise ValueError(f"size must be at least 8 px, got {self.size}")
        if self.param not in PARAMS:
            raise ValueError(f"param must be one of {', '.join(map(repr, PARAMS))}, got {self.param!r}")
        if self.precision not in ("float32", "bfloat16", "auto"):
            raise ValueError(f"precision must be 'float32', 'bfloat16' or 'auto', got {self.precision!r}")

    def to_json(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)


def software_versions() -> dict[str, str]:
    """Versions of Python, torch, torchvision, cnnwidget (and Ray when installed)."""
    import torch
    import torchvision

    from ..version import __version__

    versions = {
        "cnnwidget": __version__,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "python": platform.python_version(),
    }
    try:
        from importlib.metadata import version

        versions["ray"] = version("ray")
    except Exception:  # Ray is optional
        pass
    return versions


__all__ = ["AtlasSettings", "software_versions"]
