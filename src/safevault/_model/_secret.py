"""What safevault returns: immutable objects whose repr never shows a value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

__all__ = ["Secret"]

_EMPTY: Mapping[str, str] = MappingProxyType({})


def freeze_tags(tags: Mapping[str, str] | None) -> Mapping[str, str]:
    """A read-only copy of ``tags`` (an empty mapping for None)."""
    return MappingProxyType(dict(tags)) if tags else _EMPTY


@dataclass(frozen=True, repr=False, eq=False)
class Secret:
    """One version of a secret, with its value.

    ``repr()`` and ``str()`` never show the value. Datetimes are tz-aware UTC; ``tags`` is a
    read-only mapping.
    """

    name: str
    version: str
    value: str = field(repr=False)
    id: str
    enabled: bool
    not_before: datetime | None
    expires_on: datetime | None
    created_on: datetime | None
    updated_on: datetime | None
    content_type: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def __repr__(self) -> str:
        return (
            f"Secret(name={self.name!r}, version={self.version!r}, value=<redacted>, "
            f"enabled={self.enabled!r}, not_before={_iso(self.not_before)}, "
            f"expires_on={_iso(self.expires_on)}, content_type={self.content_type!r})"
        )

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return self.id == other.id and self.value == other.value and self.enabled == other.enabled

    def __hash__(self) -> int:
        return hash(self.id)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Secret objects are not picklable: pickling would write the value out.")


def _iso(value: datetime | None) -> str:
    return "None" if value is None else value.isoformat()
