"""``RULES``: every posture rule, keyed by id, in the order of ``posture-rules.md``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from safevault.posture import (  # noqa: F401  (importing registers the rules)
    _rules_access,
    _rules_iam,
    _rules_keys,
    _rules_logging,
    _rules_network,
    _rules_objects,
    _rules_recovery,
)
from safevault.posture._rule import Rule, defined

__all__ = ["RULES"]

_ORDER = ("IAM", "ACC", "ADV", "NET", "REC", "LOG", "OBJ")

RULES: Mapping[str, Rule] = MappingProxyType(
    {r.id: r for r in sorted(defined(), key=lambda r: (_ORDER.index(r.family), r.id))}
)
"""Every rule by id (``RULES["KV-NET-01"]``); iterate ``RULES.values()`` for the metadata."""
