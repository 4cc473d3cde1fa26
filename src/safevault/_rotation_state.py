"""The rotation state machine's data and decisions, free of I/O.

State lives in the vault, so any process can resume a rotation:

- the **staging secret** ``<name>--staging`` holds the pending value, never ``<name>`` itself,
  so readers of ``<name>`` cannot see a value before it was verified. Its latest version is
  the current *claim*; tags record which secret it belongs to, the rotation id (one per
  pending value), the run id (one per call that holds the claim), the state (``pending``,
  ``applied``, ``promoted``, ``abandoned``) and the base version of ``<name>`` it replaces.
  Staging versions carry an expiry and are disabled once promoted, abandoned or superseded.
- the **promoted version** of ``<name>`` carries the previous version and when it may be
  revoked; once revoked, when that happened.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from safevault._policy import CachePolicy

__all__ = [
    "Claim",
    "PromotedTags",
    "Stage",
    "default_grace",
    "read_claim",
    "read_promoted",
    "staging_name",
]

TAG_OF = "safevault-rotation-of"
TAG_ROTATION = "safevault-rotation-id"
TAG_RUN = "safevault-rotation-run"
TAG_STATE = "safevault-rotation-state"
TAG_BASE = "safevault-rotation-base"
TAG_PREVIOUS = "safevault-previous-version"
TAG_REVOKE_AFTER = "safevault-revoke-after"
TAG_REVOKED = "safevault-revoked-at"
STAGING_SUFFIX = "--staging"
STAGING_LIFETIME = timedelta(days=7)
NO_BASE = "none"


class Stage(str, Enum):
    PENDING = "pending"  # stored durably, apply not known to have succeeded
    APPLIED = "applied"  # applied to the target, not yet verified/promoted
    PROMOTED = "promoted"
    ABANDONED = "abandoned"


def staging_name(name: str) -> str:
    """The companion secret that holds ``name``'s pending value (within the 127-char limit)."""
    candidate = f"{name}{STAGING_SUFFIX}"
    if len(candidate) <= 127:
        return candidate
    digest = hashlib.sha256(name.lower().encode()).hexdigest()[:10]
    return f"{name[: 127 - len(STAGING_SUFFIX) - 11]}-{digest}{STAGING_SUFFIX}"


@dataclass(frozen=True)
class Claim:
    """The latest version of the staging secret, read from its properties."""

    version: str
    rotation_id: str
    run_id: str
    stage: Stage
    base: str | None
    enabled: bool
    expires_on: datetime | None

    def is_live(self, now: datetime) -> bool:
        """An unfinished rotation that a call may resume."""
        return (
            self.enabled
            and self.stage in (Stage.PENDING, Stage.APPLIED)
            and (self.expires_on is None or self.expires_on > now)
        )

    def tags(
        self, of: str, *, stage: Stage | None = None, run_id: str | None = None
    ) -> dict[str, str]:
        return claim_tags(
            of,
            rotation_id=self.rotation_id,
            run_id=run_id or self.run_id,
            stage=stage or self.stage,
            base=self.base,
        )


def claim_tags(
    of: str, *, rotation_id: str, run_id: str, stage: Stage, base: str | None
) -> dict[str, str]:
    return {
        TAG_OF: of,
        TAG_ROTATION: rotation_id,
        TAG_RUN: run_id,
        TAG_STATE: stage.value,
        TAG_BASE: base or NO_BASE,
    }


def read_claim(
    version: str | None,
    tags: Mapping[str, str] | None,
    enabled: bool | None,
    expires_on: datetime | None,
    of: str,
) -> Claim | None:
    """The claim recorded on a staging version, or None if it is not one of ``of``'s."""
    tags = tags or {}
    if not version or tags.get(TAG_OF, "").lower() != of.lower():
        return None
    try:
        stage = Stage(tags.get(TAG_STATE, ""))
    except ValueError:
        return None
    base = tags.get(TAG_BASE)
    return Claim(
        version=version,
        rotation_id=tags.get(TAG_ROTATION, ""),
        run_id=tags.get(TAG_RUN, ""),
        stage=stage,
        base=None if base in (None, NO_BASE) else base,
        enabled=bool(enabled),
        expires_on=expires_on,
    )


@dataclass(frozen=True)
class PromotedTags:
    """What a promoted version records about the version it replaced."""

    rotation_id: str | None
    previous: str | None
    revoke_after: datetime | None
    revoked_at: str | None

    def revoke_due(self, now: datetime) -> bool:
        return (
            self.previous is not None
            and self.revoked_at is None
            and self.revoke_after is not None
            and now >= self.revoke_after
        )

    def revoke_pending(self, now: datetime) -> bool:
        return (
            self.previous is not None
            and self.revoked_at is None
            and self.revoke_after is not None
            and now < self.revoke_after
        )


def read_promoted(tags: Mapping[str, str] | None) -> PromotedTags:
    tags = tags or {}
    after = tags.get(TAG_REVOKE_AFTER)
    try:
        revoke_after = datetime.fromisoformat(after) if after else None
    except ValueError:
        revoke_after = None
    return PromotedTags(
        rotation_id=tags.get(TAG_ROTATION),
        previous=tags.get(TAG_PREVIOUS),
        revoke_after=revoke_after,
        revoked_at=tags.get(TAG_REVOKED),
    )


def promoted_tags(
    base_tags: Mapping[str, str] | None,
    *,
    rotation_id: str,
    previous: str | None,
    revoke_after: datetime,
) -> dict[str, str]:
    """Tags of the promoted version: the caller's other tags, plus the rotation's record."""
    tags = {k: v for k, v in (base_tags or {}).items() if not k.startswith("safevault-")}
    tags[TAG_ROTATION] = rotation_id
    if previous is not None:
        tags[TAG_PREVIOUS] = previous
        tags[TAG_REVOKE_AFTER] = revoke_after.isoformat()
    return tags


def default_grace(cache: CachePolicy) -> timedelta:
    """Long enough that no cache can still hold the old value: ttl x (1 + jitter) + max_stale."""
    return cache.ttl * (1 + cache.jitter) + cache.max_stale


def is_old_enough(
    created_on: datetime | None, if_older_than: timedelta | None, now: datetime
) -> bool:
    if if_older_than is None or created_on is None:
        return True
    return now - created_on >= if_older_than
