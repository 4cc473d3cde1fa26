"""Results of rotations and expiry scans."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

__all__ = ["ExpiryNotice", "RotationResult", "RotationStep"]

NoticeStatus = Literal["expired", "expiring", "no_expiry", "not_yet_valid"]


@dataclass(frozen=True)
class RotationStep:
    """One step of a rotation: ``step`` (generate, store_pending, apply ...), its ``outcome``
    (``ok``, ``failed``, ``skipped``, ``resumed`` ...) and when it ended."""

    step: str
    outcome: str
    at: datetime
    detail: str | None = None


@dataclass(frozen=True)
class RotationResult:
    """What one ``rotate_secret`` call did."""

    name: str
    rotated: bool
    old_version: str | None = None
    new_version: str | None = None
    revoked_version: str | None = None
    steps: tuple[RotationStep, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ExpiryNotice:
    """An object that needs attention: expired, expiring soon, without expiry, or not yet valid."""

    kind: Literal["secret", "key", "certificate"]
    name: str
    version: str | None
    expires_on: datetime | None
    status: NoticeStatus
