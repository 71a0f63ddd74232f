"""Atlas: the picture of every unit of whole layers, as a resumable batch job (local or Ray).

    from cnnwidget import build_atlas
    result = build_atlas("default", ["stage2", "stage3"], "atlas-default", steps=64, size=96)
    print(result)                       # open atlas-default/index.html
    CNNExplorer("default", atlas="atlas-default")   # hover or click a unit: its atlas picture

Modules, one idea each: :mod:`.plan` (units, tasks, seeds), :mod:`.settings`,
:mod:`.source` (rebuilding the model anywhere), :mod:`.work` (one task),
:mod:`.store` (the directory), :mod:`.local` and :mod:`.ray_executor` (where
tasks run), :mod:`.html` (the index page), :mod:`.api` (``build_atlas()``).
The ``cnnwidget atlas`` command lives in :mod:`cnnwidget.cli.atlas`.

``cnnwidget.atlas`` is this subpackage (so ``cnnwidget.atlas.store`` imports). Until
0.2 it can also be called as the function it used to be: ``cnnwidget.atlas(...)``
and ``cnnwidget.atlas.atlas(...)`` warn (``DeprecationWarning``) and run
:func:`build_atlas`.
"""

import sys
import types
import warnings

from .api import AtlasResult, build_atlas
from .plan import Task, Unit, plan_tasks, unit_seed
from .settings import AtlasSettings
from .store import AtlasError, AtlasStore

__all__ = [
    "AtlasError", "AtlasResult", "AtlasSettings", "AtlasStore", "Task", "Unit", "build_atlas", "plan_tasks", "unit_seed",
]

_RENAMED = "cnnwidget.atlas(...) is now cnnwidget.build_atlas(...); the old name goes in 0.2"


def atlas(*args, **kwargs) -> AtlasResult:
    """Deprecated name of :func:`build_atlas` (same arguments); warns, then runs it."""
    warnings.warn(_RENAMED, DeprecationWarning, stacklevel=2)
    return build_atlas(*args, **kwargs)


class _CallableModule(types.ModuleType):
    """This subpackage, callable like the ``atlas`` function that ``cnnwidget.atlas`` used to be."""

    def __call__(self, *args, **kwargs) -> AtlasResult:
        warnings.warn(_RENAMED, DeprecationWarning, stacklevel=2)
        return build_atlas(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
