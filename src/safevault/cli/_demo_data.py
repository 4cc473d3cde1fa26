"""Data the demo ships with: a deliberately weak ARM template for the posture check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

__all__ = ["sample_template"]


@contextmanager
def sample_template() -> Iterator[Path]:
    """A filesystem path to the sample template (extracted if the package is zipped)."""
    with resources.as_file(resources.files("safevault.cli") / "demo_template.json") as path:
        yield path
