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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

from safevault._model._policy import CachePolicy
from safevault._model._secret import Secret

__all__ = [
    "Action",
    "Claim",
    "Decision",
    "Patience",
    "PromotedTags",
    "Stage",
    "Verdict",
    "claim_of",
    "contest",
    "decide",
    "default_grace",
    "read_promoted",
    "staging_name",
    "verify_problem",
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
    created_on: datetime | None = None

    @property
    def rank(self) -> tuple[datetime, str]:
        """Order among rival claims: the earlier stored first; the version id breaks a tie
        (Key Vault's timestamps have one-second resolution). Every run computes the same."""
        return (self.created_on or _EPOCH, self.version)

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


def claim_of(props: Any, of: str) -> Claim | None:
    """The claim recorded on a staging version's properties, or None if it is not ``of``'s."""
    version: str | None = props.version
    tags: Mapping[str, str] = props.tags or {}
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
        enabled=bool(props.enabled),
        expires_on=props.expires_on,
        created_on=props.created_on,
    )


class Verdict(str, Enum):
    """What a run does at its check before apply or before promote."""

    PROCEED = "proceed"
    CONFLICT = "conflict"  # stop without applying (or promoting): another run goes on
    WAIT = "wait"  # this run ranks first among rivals that have not stepped aside yet


def contest(
    mine: Claim, claims: Sequence[Claim], *, base_changed: bool, before: str, now: datetime
) -> Verdict:
    """Decide a run's check from the staging secret's enabled ``claims`` (newest first).

    Safety: a run proceeds past its check before apply only when its own listing shows no
    other live claim. Two runs each write their claim before they list, so the later lister
    always sees the earlier one's claim: two runs can never both see none (both proceed only
    if one's rival stepped aside, which a stepping-aside run never undoes).

    Liveness: runs that see each other must not all step aside. The rival claims are ranked
    (:attr:`Claim.rank`, the same order for every run): every run but the first steps aside
    at once; the first waits (re-listing) until the others have closed their claims, then
    proceeds. A rival that already went past its check (its claim advanced to ``applied``)
    wins; so does a rival the first run gave up waiting for.

    Before promote, a run that was taken over (its rotation's newest claim carries another
    run id) or whose secret changed stops; pending rivals are runs that will step aside.
    """
    if base_changed:
        return Verdict.CONFLICT
    latest = next((c for c in claims if c.rotation_id == mine.rotation_id), None)
    if latest is None or latest.run_id != mine.run_id:
        return Verdict.CONFLICT  # closed, or resumed by another run
    rivals = [c for c in claims if c.rotation_id != mine.rotation_id and c.is_live(now)]
    if any(c.stage is not Stage.PENDING for c in rivals):
        return Verdict.CONFLICT  # a rival went past its check before apply
    if before == "promote" or not rivals:
        return Verdict.PROCEED
    if any(c.rank < latest.rank for c in rivals):
        return Verdict.CONFLICT
    return Verdict.WAIT


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class Patience:
    """How long, and how often, a run ranked first re-lists while rivals step aside.

    :param budget: seconds of the monotonic clock after which it gives up (steps aside).
    """

    budget: float
    started: float
    delay: float = 0.02

    def next_delay(self, now: float) -> float | None:
        """The pause before the next listing, or None once the budget is spent."""
        if now - self.started >= self.budget:
            return None
        delay = self.delay
        self.delay = min(self.delay * 2, 0.5)
        return min(delay, max(0.0, self.started + self.budget - now))


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


def verify_problem(result: Any) -> str | None:
    """Why ``verify``'s return value fails the rotation, or None when it passes.

    ``None`` and ``True`` pass; ``False`` fails; anything else (a truthy string, 0, a
    response object) is refused rather than guessed at.
    """
    if result is None or result is True:
        return None
    if result is False:
        return "verify returned False"
    return (
        f"verify returned a {type(result).__name__}; return None or True when the new value "
        "works, raise or return False when it does not"
    )


# -- what a call does, from what it read ------------------------------------------------------


class Action(str, Enum):
    """What a ``rotate_secret`` call does once a due revoke is done."""

    CLOSE_PROMOTED = "close_promoted"  # an earlier run promoted but did not close its claim
    WAIT_FOR_REVOKE = "wait_for_revoke"  # the previous value's revoke is not due yet
    RESUME = "resume"  # take over the pending value of an earlier run
    SKIP_YOUNG = "skip_young"  # the current version is younger than if_older_than
    GENERATE = "generate"  # rotate afresh


@dataclass(frozen=True)
class Decision:
    """The action, the claim it is about, and a claim to close as abandoned first."""

    action: Action
    claim: Claim | None = None
    abandon: Claim | None = None
    detail: str | None = None


def decide(
    current: Secret | None,
    claim: Claim | None,
    *,
    now: datetime,
    if_older_than: timedelta | None,
) -> Decision:
    """Decide a rotation call from the secret's current version and the newest live claim.

    In order: a claim the current version already records as promoted is closed (nothing
    else); a previous value whose revoke is not due yet blocks a new rotation; a claim on the
    current version is resumed; a claim on another version (the secret changed since) is
    abandoned, and the call goes on as if there were none; then the age check, then a fresh
    rotation.
    """
    promoted = read_promoted(current.tags) if current is not None else None
    if claim is not None and promoted is not None and promoted.rotation_id == claim.rotation_id:
        return Decision(
            Action.CLOSE_PROMOTED, claim, detail="closed a claim that was already promoted"
        )
    if promoted is not None and promoted.revoke_pending(now):
        return Decision(
            Action.WAIT_FOR_REVOKE, detail=f"previous revoke due {promoted.revoke_after}"
        )
    abandon = None
    if claim is not None:
        if claim.base == (current.version if current is not None else None):
            return Decision(Action.RESUME, claim, detail=f"resumed a {claim.stage.value} rotation")
        abandon = claim
    if current is not None and not is_old_enough(current.created_on, if_older_than, now):
        return Decision(
            Action.SKIP_YOUNG,
            abandon=abandon,
            detail="current version is younger than if_older_than",
        )
    return Decision(Action.GENERATE, abandon=abandon)
