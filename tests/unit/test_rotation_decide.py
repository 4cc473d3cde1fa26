"""The rotation's decision, without a vault: every combination of what a call can find.

A call finds the secret's current version (none; one written by hand; one a rotation promoted,
with its previous value's revoke pending, due, or done), the newest live claim (none; one on
the current version; one on another version; one the current version records as promoted)
and an age limit (none; the current version older or younger than it). ``decide`` must give,
for each, the one action the rotation guide describes.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from safevault import Secret
from safevault._core._rotation import (
    TAG_PREVIOUS,
    TAG_REVOKE_AFTER,
    TAG_REVOKED,
    TAG_ROTATION,
    Action,
    Claim,
    Stage,
    decide,
)

NOW = datetime(2030, 6, 1, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def _current(kind: str, age: str) -> Secret | None:
    if kind == "none":
        return None
    tags: dict[str, str] = {}
    if kind != "by hand":
        tags = {TAG_ROTATION: "r-promoted", TAG_PREVIOUS: "v-old"}
        after = {"revoke pending": NOW + DAY, "revoke due": NOW - DAY, "revoked": NOW - 2 * DAY}
        tags[TAG_REVOKE_AFTER] = after[kind].isoformat()
        if kind == "revoked":
            tags[TAG_REVOKED] = (NOW - DAY).isoformat()
    created = NOW - (timedelta(days=40) if age == "old" else timedelta(days=5))
    return Secret(
        name="s",
        version="v-current",
        value="x",
        id="https://x.vault.azure.net/secrets/s/v-current",
        enabled=True,
        not_before=None,
        expires_on=None,
        created_on=created,
        updated_on=created,
        tags=tags,
    )


def _claim(kind: str, current: Secret | None) -> Claim | None:
    if kind == "none":
        return None
    base = {
        "on current": current.version if current is not None else None,
        "on another version": "v-elsewhere",
        "promoted": current.version if current is not None else None,
    }[kind]
    rotation = "r-promoted" if kind == "promoted" else "r-pending"
    return Claim(
        version="c1",
        rotation_id=rotation,
        run_id="run-1",
        stage=Stage.PENDING,
        base=base,
        enabled=True,
        expires_on=NOW + DAY,
        created_on=NOW - DAY,
    )


CURRENTS = ["none", "by hand", "revoke pending", "revoke due", "revoked"]
CLAIMS = ["none", "on current", "on another version", "promoted"]
AGES = ["old", "young"]
LIMITS = [None, timedelta(days=30)]


def _expected(current: str, claim: str, age: str, limit: Any) -> tuple[Action, bool]:
    """(action, abandon first?) as the guide tells it, one rule at a time."""
    records_the_claim = claim == "promoted" and current not in ("none", "by hand")
    if records_the_claim:
        return Action.CLOSE_PROMOTED, False
    if current == "revoke pending":
        return Action.WAIT_FOR_REVOKE, False
    claim_on_current = claim == "on current" or (claim == "promoted" and current == "by hand")
    if claim == "promoted" and current == "none":
        claim_on_current = True  # base None: a first value, and there is still none
    if claim_on_current:
        return Action.RESUME, False
    abandon = claim != "none"
    if current != "none" and limit is not None and age == "young":
        return Action.SKIP_YOUNG, abandon
    return Action.GENERATE, abandon


@pytest.mark.parametrize(
    ("current", "claim", "age", "limit"),
    list(itertools.product(CURRENTS, CLAIMS, AGES, LIMITS)),
)
def test_every_combination(current: str, claim: str, age: str, limit: Any) -> None:
    found = _current(current, age)
    decision = decide(found, _claim(claim, found), now=NOW, if_older_than=limit)
    action, abandon = _expected(current, claim, age, limit)
    assert decision.action is action
    assert (decision.abandon is not None) is abandon
    if action in (Action.CLOSE_PROMOTED, Action.RESUME):
        assert decision.claim is not None and decision.claim.version == "c1"
    else:
        assert decision.claim is None
    if action is not Action.GENERATE:
        assert decision.detail


def test_the_revoke_time_is_named_when_waiting() -> None:
    found = _current("revoke pending", "old")
    decision = decide(found, None, now=NOW, if_older_than=None)
    assert decision.detail is not None and str(NOW + DAY) in decision.detail
