"""The subcommand modules, in the order ``--help`` lists them."""

from __future__ import annotations

from types import ModuleType

from safevault.cli import _secrets

MODULES: list[ModuleType] = [_secrets]
