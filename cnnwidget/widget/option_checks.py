"""Checks shared by the widget's option dicts (maximization, DeepDream): errors that name the valid values."""

from __future__ import annotations


def merged_options(options: dict | None, defaults: dict, what: str) -> dict:
    """``defaults`` updated with ``options``; a ``ValueError`` naming the valid keys for unknown ones."""
    merged = {**defaults, **(options or {})}
    unknown = set(merged) - set(defaults)
    if unknown:
        raise ValueError(f"unknown {what} option(s) {sorted(unknown)}; valid: {sorted(defaults)}")
    return merged


def check_whole_numbers(options: dict, limits: dict[str, tuple[int, int]], what: str) -> None:
    """Each ``options[key]`` must be an int within ``limits[key]`` (inclusive); else a ``ValueError``."""
    for key, (lo, hi) in limits.items():
        value = options[key]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"{what}{key} must be a whole number from {lo} to {hi}; got {value!r}")


def is_number(value) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and abs(value) != float("inf")
