"""The explorer's features share only what FeatureHost declares, and no feature overrides another.

Read from the source: every ``self.<name>`` a feature class uses must be its own
(defined in the class: a trait, a method, or an attribute it assigns) or declared on
:class:`~cnnwidget.widget.feature_host.FeatureHost`; no two features define the same name;
a feature's private names carry its prefix.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import typing

import pytest

from cnnwidget.widget.adversarial import AdversarialFeature
from cnnwidget.widget.atlas_view import AtlasFeature
from cnnwidget.widget.attribution import AttributionFeature
from cnnwidget.widget.dream import DreamFeature
from cnnwidget.widget.examples import ExamplesFeature
from cnnwidget.widget.feature_host import FeatureHost
from cnnwidget.widget.filters import FiltersFeature
from cnnwidget.widget.live.feature import LiveFeature
from cnnwidget.widget.maximize.feature import MaximizeFeature
from cnnwidget.widget.predictions import PredictionsFeature

FEATURES = {
    "maximize": MaximizeFeature, "dream": DreamFeature, "attribution": AttributionFeature,
    "atlas": AtlasFeature, "examples": ExamplesFeature, "live": LiveFeature, "predictions": PredictionsFeature,
    "filters": FiltersFeature, "adversarial": AdversarialFeature,
}
DECLARED = set(typing.get_type_hints(FeatureHost, include_extras=False)) | set(FeatureHost.__annotations__)


def defined(cls) -> set[str]:
    """Names the class body defines (methods, traits, properties) or its methods assign on ``self``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    names = {n.name for n in tree.body[0].body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    names |= {t.id for n in tree.body[0].body if isinstance(n, (ast.Assign, ast.AnnAssign))
              for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for t in targets:
            for el in (t.elts if isinstance(t, ast.Tuple) else [t]):
                if isinstance(el, ast.Attribute) and isinstance(el.value, ast.Name) and el.value.id == "self":
                    names.add(el.attr)
    return names


def used(cls) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    return {n.attr for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self"}


@pytest.mark.parametrize("name", sorted(FEATURES))
def test_a_feature_uses_only_its_own_names_and_the_declared_ones(name):
    cls = FEATURES[name]
    assert issubclass(cls, FeatureHost)
    undeclared = used(cls) - defined(cls) - DECLARED
    assert not undeclared, f"{cls.__name__} uses {sorted(undeclared)}: declare them on FeatureHost or own them"


@pytest.mark.parametrize("name", sorted(FEATURES))
def test_a_features_private_names_say_whose_they_are(name):
    cls = FEATURES[name]
    private = {n for n in defined(cls) - DECLARED if n.startswith("_") and not n.startswith("__")}
    foreign = sorted(n for n in private if name not in n)
    assert not foreign, f"{cls.__name__}'s private names without '{name}': {foreign}"


def test_no_feature_defines_a_name_another_one_defines():
    owners: dict[str, list[str]] = {}
    for cls in FEATURES.values():
        for n in defined(cls) - {"__init__"}:
            owners.setdefault(n, []).append(cls.__name__)
    shared = {n: o for n, o in owners.items() if len(o) > 1}
    assert not shared, shared


def test_the_check_sees_an_undeclared_name():
    class Sloppy(FeatureHost):
        def _init_sloppy(self):
            self._sloppy_x = self._state_lock

    assert used(Sloppy) - defined(Sloppy) - DECLARED == {"_state_lock"}


def test_the_order_of_the_features_does_not_matter():
    from cnnwidget import CNNExplorer

    features = [b for b in CNNExplorer.__bases__ if b in FEATURES.values()]
    assert len(features) == len(FEATURES)
    backwards = type("Backwards", tuple(reversed(features)), {})
    names = {n for f in features for n in defined(f) if n in vars(f) and not n.startswith("__")}
    assert "_maximize_start" in names and "_atlas_maximization" in names
    for name in names:
        assert getattr(backwards, name) is getattr(CNNExplorer, name), name
