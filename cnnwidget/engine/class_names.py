"""The names of a classifier's outputs, from whatever metadata came with its weights.

Looked up in this order:

1. ``model.cnnwidget_classes``: set by :func:`cnnwidget.load_model` from
   torchvision weights' ``meta["categories"]``, and by the default model;
2. a timm model's ``pretrained_cfg``: its label names through timm's
   ``ImageNetInfo`` (readable descriptions such as ``"golden retriever"``);
3. otherwise the index itself, as text (``"207"``).
"""

from __future__ import annotations

from torch import nn


def class_names(model: nn.Module, count: int) -> list[str]:
    """One readable name for each of the ``count`` outputs of ``model``.

    Args:
        model: the classifier.
        count: how many outputs (classes) it has.

    Returns:
        ``count`` strings; indices as text where no name is known.

    Example:
        >>> class_names(cnnwidget.load_model("default"), 12)[:2]   # doctest: +SKIP
        ['circle', 'square']
    """
    for names in (_carried(model), _timm_names(model)):
        if names is not None and len(names) == count:
            return [str(n) for n in names]
    return [str(i) for i in range(count)]


def _carried(model: nn.Module) -> list | None:
    names = getattr(model, "cnnwidget_classes", None)
    return list(names) if names else None


def _timm_names(model: nn.Module) -> list | None:
    cfg = getattr(model, "pretrained_cfg", None)
    if not isinstance(cfg, dict):
        return None
    try:
        from timm.data import ImageNetInfo, infer_imagenet_subset
    except ImportError:  # timm absent or too old to carry label info
        return None
    subset = infer_imagenet_subset(model)
    if subset is None:
        return None
    info = ImageNetInfo(subset)
    return [info.index_to_description(i) for i in range(info.num_classes())]
