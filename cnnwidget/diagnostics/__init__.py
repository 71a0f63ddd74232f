"""Diagnostics, outside the engine's core: model-state fingerprints (:mod:`.fingerprint`), the compatibility
check of a model (:mod:`.compat`) and the list of zoo models it is run on (:mod:`.zoo`)."""
