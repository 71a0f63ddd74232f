"""Data that ships with cnnwidget: sample photos and the procedural image generator."""

from .samples import SAMPLES_DIR, sample, samples
from .synthetic import CLASSES, make_batch

__all__ = ["CLASSES", "SAMPLES_DIR", "make_batch", "sample", "samples"]
