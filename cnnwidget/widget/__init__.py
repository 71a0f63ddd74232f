"""Everything behind :class:`cnnwidget.CNNExplorer`.

:mod:`.explorer` (the widget class, a thin hall between the engine and the front end),
:mod:`.protocol` (the kernel <-> browser messages), :mod:`.jobs` (one background job at a
time), :mod:`.feature_host` (what the explorer shares with its features, declared once) and
one module or sub-package per feature: :mod:`.maximize`, :mod:`.dream`, :mod:`.attribution`,
:mod:`.atlas_view`, :mod:`.live`. Importing this package does not import anywidget.
"""
