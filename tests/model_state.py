"""Test-side names for the model fingerprint (the implementation lives in the engine)."""

from cnnwidget.diagnostics.fingerprint import assert_same_state, model_state, state_differences

__all__ = ["assert_same_state", "model_state", "state_differences"]
