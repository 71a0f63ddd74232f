"""Atlas: the picture of every unit of whole layers, as a resumable batch job (local or Ray).

    from cnnwidget import atlas
    result = atlas("default", ["stage2", "stage3"], "atlas-default", steps=64, size=96)
    print(result)                       # open atlas-default/index.html
    CNNExplorer("default", atlas="atlas-default")   # hover or click a unit: its atlas picture

Modules, one idea each: :mod:`.plan` (units, tasks, seeds), :mod:`.settings`,
:mod:`.source` (rebuilding the model anywhere), :mod:`.work` (one task),
:mod:`.store` (the directory), :mod:`.local` and :mod:`.ray_executor` (where
tasks run), :mod:`.html` (the index page), :mod:`.api` (``atlas()``),
:mod:`.cli` (``cnnwidget atlas``).
"""

from .api import AtlasResult, atlas
from .plan import Task, Unit, plan_tasks, unit_seed
from .settings import AtlasSettings
from .store import AtlasError, AtlasStore

__all__ = ["AtlasError", "AtlasResult", "AtlasSettings", "AtlasStore", "Task", "Unit", "atlas", "plan_tasks", "unit_seed"]
