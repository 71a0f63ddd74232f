"""The planted folder and its index (tests/dataset_examples/fixtures.py) for the tests of this folder."""

from tests.dataset_examples.fixtures import planted, planted_index  # noqa: F401  (fixtures)
