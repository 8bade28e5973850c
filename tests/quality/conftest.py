"""The evaluation tests' small registry, reused by the QC storage tests."""

from tests.evaluation.conftest import registry

__all__ = ["registry"]
