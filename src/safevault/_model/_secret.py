"""What safevault returns: immutable objects whose repr never shows a value."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import FrozenInstanceError, dataclass, field, fields
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar, cast

__all__ = ["Secret"]

T = TypeVar("T")

_EMPTY: Mapping[str, str] = MappingProxyType({})


def freeze_tags(tags: Mapping[str, str] | None) -> Mapping[str, str]:
    """A read-only copy of ``tags`` (an empty mapping for None)."""
    return MappingProxyType(dict(tags)) if tags else _EMPTY


def frozen_slots(cls: type[T]) -> type[T]:
    """Give a ``dataclass(frozen=True, slots=True)`` class the frozen ``__setattr__`` and
    ``__delattr__`` it would have without slots.

    Slots (no per-instance ``__dict__``: 48 bytes less for each version a cache holds) make
    the dataclass a new class, while its generated methods still name the old one: assigning
    an attribute that is not a field raises ``TypeError`` from ``super()`` instead of
    ``FrozenInstanceError``. Apply above the ``@dataclass`` decorator.
    """
    names = frozenset(f.name for f in fields(cast(Any, cls)))

    def __setattr__(self: Any, name: str, value: object) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    methods: dict[str, Callable[..., None]] = {
        "__setattr__": __setattr__,
        "__delattr__": __delattr__,
    }
    for method_name, method in methods.items():
        method.__qualname__ = f"{cls.__qualname__}.{method_name}"
        setattr(cls, method_name, method)
    return cls


@frozen_slots
@dataclass(frozen=True, repr=False, eq=False, slots=True)
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
