"""The subcommand modules, in the order ``--help`` lists them."""

from __future__ import annotations

from types import ModuleType

from safevault.cli import _audit, _demo, _secrets

MODULES: list[ModuleType] = [_demo, _secrets, _audit]
