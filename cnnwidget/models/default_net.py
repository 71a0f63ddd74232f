"""The architecture of the offline default model: a small, plainly staged CNN.

Five stages, each a few ``Conv → BatchNorm → ReLU`` blocks, halving the
resolution as they go, then global average pooling and one linear layer::

    stem    7×7 conv, stride 2           3 →  32 channels, 64×64 at 128 px input
    stage1  max-pool, 2 × (3×3 conv)    32 →  48 channels, 32×32
    stage2  max-pool, 2 × (3×3 conv)    48 →  96 channels, 16×16
    stage3  max-pool, 2 × (3×3 conv)    96 → 192 channels,  8×8
    stage4  max-pool, 2 × (3×3 conv)   192 → 256 channels,  4×4
    head    global average pool, linear 256 → number of classes

Every ``stageN.convK`` module outputs the block's activations after its ReLU,
so the names a user picks in a layer list (``"stem"``, ``"stage2"``,
``"stage3.conv1"``) all show non-negative unit activations.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

WIDTHS = (32, 48, 96, 192, 256)
"""Output channels of ``stem``, ``stage1`` … ``stage4``."""


class ConvBlock(nn.Sequential):
    """``conv → bn → relu``; the block's output is the ReLU's."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1):
        super().__init__(
            OrderedDict(
                conv=nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False),
                bn=nn.BatchNorm2d(cout),
                relu=nn.ReLU(inplace=False),
            )
        )


class DefaultNet(nn.Module):
    """The compact CNN behind ``cnnwidget.load_model("default")``.

    Args:
        num_classes: size of the classifier output.
        widths: output channels of ``stem`` and the four stages.

    Example:
        >>> import torch
        >>> DefaultNet()(torch.zeros(1, 3, 128, 128)).shape
        torch.Size([1, 12])
    """

    def __init__(self, num_classes: int = 12, widths: tuple[int, ...] = WIDTHS):
        super().__init__()
        self.stem = ConvBlock(3, widths[0], kernel=7, stride=2)
        for i in range(1, len(widths)):
            stage = nn.Sequential(
                OrderedDict(
                    pool=nn.MaxPool2d(2),
                    conv1=ConvBlock(widths[i - 1], widths[i]),
                    conv2=ConvBlock(widths[i], widths[i]),
                )
            )
            self.add_module(f"stage{i}", stage)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(widths[-1], num_classes)
        self._stages = len(widths) - 1
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def features(self, x):
        """The last stage's ``(N, C, H, W)`` activations."""
        x = self.stem(x)
        for i in range(1, self._stages + 1):
            x = getattr(self, f"stage{i}")(x)
        return x

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)).flatten(1))
