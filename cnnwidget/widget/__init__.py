"""The explorer's features, one mixin each: traits, browser-message handlers and Python API.

:class:`cnnwidget.CNNExplorer` composes them; each mixin reads the shared state
the explorer sets up (``model``, ``_input``, ``_pil``, ``_preprocess``,
``_runner``) and registers its handlers in ``_handlers``.
"""
