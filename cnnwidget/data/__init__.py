"""Data that ships with cnnwidget: sample photos and the procedural image generator."""

from .samples import SAMPLES_DIR, SampleError, default_image, sample, sample_path, samples
from .synthetic import CLASSES, make_batch

__all__ = ["CLASSES", "SAMPLES_DIR", "SampleError", "default_image", "make_batch", "sample", "sample_path", "samples"]
