"""Options of the widget's panels, each declared once: type, default, range, label.

The kernel checks option dicts against these declarations (:meth:`OptionSet.check`), and
the browser draws every option panel from them: the explorer sends every set's
:meth:`OptionSet.describe` in its ``option_specs`` trait, and ``js/optionForm.ts`` draws the
controls with those kinds, ranges and steps. So a range is written in one place only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .option_checks import check_whole_numbers, is_number, merged_options


@dataclass(frozen=True)
class Option:
    """One option.

    Attributes:
        key: its name in the option dict.
        kind: ``"int"`` (a whole number in ``low..high``), ``"float"`` (a number in the
            interval, ends open as ``low_open``/``high_open`` say), ``"choice"`` (a key of
            ``choices``), ``"flag"`` (a bool) or ``"other"`` (checked by the feature, not drawn).
        default: its value when the dict leaves it out.
        label: the control's label.
        low, high: the kernel's range (``int`` and ``float``).
        low_open, high_open: the end itself is refused (``float``).
        step: the control's step.
        shown: the range a control offers, when narrower than the kernel's (``float``).
        choices: value -> label (``choice``).
        when: a condition the browser shows the control under (e.g. ``"live_mode=dream"``).
        note: added to the error message (what the option means).
    """

    key: str
    kind: str
    default: object
    label: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    step: float = 1
    shown: tuple[float, float] | None = None
    choices: dict[str, str] = field(default_factory=dict)
    when: str = ""
    note: str = ""

    def check(self, value, prefix: str) -> None:
        """Raise a ``ValueError`` naming the valid values when ``value`` does not fit."""
        if self.kind == "int":
            check_whole_numbers({self.key: value}, {self.key: (int(self.low), int(self.high))}, prefix)
        elif self.kind == "float":
            inside = is_number(value) and (value > self.low if self.low_open else value >= self.low) and (
                value < self.high if self.high_open else value <= self.high)
            if not inside:
                interval = f"{'(' if self.low_open else '['}{_num(self.low)}, {_num(self.high)}{')' if self.high_open else ']'}"
                note = f" ({self.note})" if self.note else ""
                raise ValueError(f"{prefix}{self.key} must be a number in {interval}{note}; got {value!r}")
        elif self.kind == "choice" and value not in self.choices:
            names = " or ".join(repr(c) for c in self.choices)
            raise ValueError(f"{prefix}{self.key} must be {names}; got {value!r}")

    def describe(self) -> dict:
        """JSON for the browser: ``{key, kind, default, label, min, max, step, choices, when}``."""
        out = {"key": self.key, "kind": self.kind, "default": self.default, "label": self.label, "when": self.when}
        if self.kind == "int":
            out.update(min=self.low, max=self.high, step=self.step)
        elif self.kind == "float":
            low, high = self.shown or (self.low + self.step if self.low_open else self.low,
                                       self.high - self.step if self.high_open else self.high)
            out.update(min=low, max=high, step=self.step)
        elif self.kind == "choice":
            out["choices"] = dict(self.choices)
        return out


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class OptionSet:
    """The options of one panel (``name``: ``"maximize"``, ``"dream"``, ``"live"``).

    ``prefix`` starts each error message (``"dream "``: "dream steps must be ...").
    """

    name: str
    options: tuple[Option, ...]
    prefix: str = ""

    def defaults(self) -> dict:
        """``{key: default}`` of every option (a new dict each call)."""
        return {o.key: (list(o.default) if isinstance(o.default, list) else o.default) for o in self.options}

    def __getitem__(self, key: str) -> Option:
        return next(o for o in self.options if o.key == key)

    def check(self, options: dict | None) -> dict:
        """The defaults updated with ``options``, every declared range checked.

        Raises:
            ValueError: an unknown key (the message lists the valid ones) or a value out of range.
        """
        merged = merged_options(options, self.defaults(), self.name)
        for option in self.options:
            option.check(merged[option.key], self.prefix)
        return merged

    def describe(self) -> list[dict]:
        """The options the browser draws, in order (``kind`` ``"other"`` left out)."""
        return [o.describe() for o in self.options if o.kind != "other"]
