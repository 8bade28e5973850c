"""HJ 212 test options and shared data: the public example packets and golden decodes."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).parents[2]
EXAMPLES = REPO.parent / "shared" / "reference" / "hj212_examples.jsonl"
GOLDEN = REPO / "tests" / "data" / "hj212" / "examples.golden.jsonl"


def pytest_addoption(parser: pytest.Parser) -> None:
    with contextlib.suppress(ValueError):  # another conftest may define it too
        parser.addoption(
            "--update-golden",
            action="store_true",
            default=False,
            help="Rewrite golden files (tests/data/**/*.golden.*) from the current output.",
        )


def load_examples() -> list[dict[str, Any]]:
    """The 44 shared example packets, or [] when the shared reference is not present."""
    if not EXAMPLES.is_file():
        return []
    lines = EXAMPLES.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
