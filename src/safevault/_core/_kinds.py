"""The kinds of object a vault caches and checks: one row each.

Adding a kind is a row here plus one shell module for its reads and writes: the caches, the
expiry gauge, ``invalidate`` and ``on_change`` follow the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from safevault.errors import InvalidArgumentError

__all__ = ["KINDS", "ObjectKind", "check_kind"]


@dataclass(frozen=True)
class ObjectKind:
    """One kind of vault object.

    :ivar name: the kind as safevault names it (``safevault.object.kind``, messages).
    :ivar collection: the REST collection (``/secrets``, ``/keys`` ...).
    """

    name: str
    collection: str


KINDS: Mapping[str, ObjectKind] = {
    kind.name: kind
    for kind in (
        ObjectKind("secret", "secrets"),
        ObjectKind("key", "keys"),
        ObjectKind("certificate", "certificates"),
    )
}


def check_kind(kind: object) -> str:
    """Return ``kind`` if it is one of :data:`KINDS`, else raise."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise InvalidArgumentError(f"kind must be one of {', '.join(map(repr, KINDS))}.")
    return kind
