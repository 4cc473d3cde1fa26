"""Tri-state values: known, unknown with a reason, or absent.

A field of the vault model is typed ``Maybe[T]``: a ``T`` when the source states it, an
:class:`Unknown` when it cannot be told (an ARM expression that is not evaluated, data the
caller may not read), and ``None`` when the source does not set it (Azure's default applies).
Rules combine them with three-valued logic: a rule never FAILs on what it cannot see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeAlias, TypeVar

__all__ = [
    "Maybe",
    "Tri",
    "Unknown",
    "all3",
    "any3",
    "first_unknown",
    "iso_duration",
    "lower",
    "same_resource",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value that cannot be told, and why (shown as the finding's evidence).

    :ivar reason: one line, e.g. ``"unresolved ARM expression [parameters('pna')]"``.
    """

    reason: str

    def __str__(self) -> str:
        return f"unknown ({self.reason})"


Maybe: TypeAlias = T | Unknown | None
"""A known ``T``, an :class:`Unknown`, or ``None`` (absent: the service default applies)."""

Tri: TypeAlias = bool | Unknown
"""A three-valued truth: ``True``, ``False`` or :class:`Unknown`."""


def any3(values: Iterable[Tri]) -> Tri:
    """True if any value is True; else Unknown if any is Unknown; else False."""
    unknown: Unknown | None = None
    for value in values:
        if value is True:
            return True
        if isinstance(value, Unknown) and unknown is None:
            unknown = value
    return unknown if unknown is not None else False


def all3(values: Iterable[Tri]) -> Tri:
    """False if any value is False; else Unknown if any is Unknown; else True."""
    unknown: Unknown | None = None
    for value in values:
        if value is False:
            return False
        if isinstance(value, Unknown) and unknown is None:
            unknown = value
    return unknown if unknown is not None else True


def first_unknown(*values: object) -> Unknown | None:
    """The first :class:`Unknown` among ``values``, or None."""
    for value in values:
        if isinstance(value, Unknown):
            return value
    return None


def lower(value: Maybe[str]) -> Maybe[str]:
    """``value.lower()`` for a known string; Unknown and None pass through."""
    return value.lower() if isinstance(value, str) else value


_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$",
    re.IGNORECASE,
)


def iso_duration(text: str) -> timedelta | None:
    """An ISO 8601 duration (``P90D``, ``P1Y``, ``P3M``, ``PT12H``) as a timedelta.

    Key Vault's rotation policies and lifetime actions use these; a year counts 365 days and
    a month 30 (the shortest reading Key Vault's own validation accepts). None if malformed.
    """
    match = _DURATION.match(text.strip())
    if match is None or text.strip().upper() in ("P", "PT"):
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return timedelta(
        days=parts.get("y", 0) * 365
        + parts.get("mo", 0) * 30
        + parts.get("w", 0) * 7
        + parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("mi", 0),
        seconds=parts.get("s", 0),
    )


def same_resource(a: str, b: str) -> bool:
    """Whether two resource ids name the same resource (case-insensitive).

    Template ids carry ``{subscriptionId}`` placeholders: those compare from ``/providers/``.
    """
    a, b = a.lower().rstrip("/"), b.lower().rstrip("/")
    if a == b:
        return True
    if "{" in a or "{" in b:
        tail_a, tail_b = a.rpartition("/providers/")[2], b.rpartition("/providers/")[2]
        return bool(tail_a) and tail_a == tail_b
    return False
