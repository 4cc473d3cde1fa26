"""Key rotation policies: ISO 8601 durations, Azure's validation, and when a rotation is due.

Pure logic, no HTTP and no state. Validation follows Azure's "Configure cryptographic key
auto-rotation in Azure Key Vault" page:

- ``expiryTime`` (the lifetime of versions made by the policy) is at least 28 days;
- at most one ``Rotate`` and one ``Notify`` action (types compared case-insensitively and
  answered in the SDK's casing);
- a trigger has exactly one of ``timeAfterCreate`` / ``timeBeforeExpiry``;
- "rotation time: minimum 7 days from creation and 7 days from expiration time": a Rotate's
  ``timeAfterCreate`` and ``timeBeforeExpiry`` are each at least 7 days, and with an
  ``expiryTime`` the rotation point stays at least 7 days away from both ends (boundary
  included: "minimum 7 days");
- ``timeBeforeExpiry`` needs an ``expiryTime`` ("requires 'Expiry Time' set on rotation
  policy"); a Notify fires before expiry only, so it takes ``timeBeforeExpiry`` alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_NOTIFY_BEFORE_EXPIRY",
    "RotationPolicy",
    "RotationPolicyError",
    "parse_duration",
]

DAY = 86_400
# Durations mix calendar units; the fake counts a month as 30 days and a year as 365 days,
# which is close enough for deciding when a rotation falls due.
_MONTH = 30 * DAY
_YEAR = 365 * DAY
DEFAULT_NOTIFY_BEFORE_EXPIRY = "P30D"

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
_UNIT_SECONDS = {
    "years": _YEAR,
    "months": _MONTH,
    "weeks": 7 * DAY,
    "days": DAY,
    "hours": 3600,
    "minutes": 60,
    "seconds": 1,
}
_ACTION_NAMES = {"rotate": "Rotate", "notify": "Notify"}


class RotationPolicyError(ValueError):
    """A policy the service refuses (400 BadParameter)."""


def parse_duration(text: Any, *, field: str = "duration") -> int:
    """Seconds in an ISO 8601 duration such as ``P90D``, ``P1Y2M`` or ``PT48H``."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise RotationPolicyError(f"'{field}' must be an ISO 8601 duration such as P90D.")
    parts = match.groupdict().items()
    return sum(int(value) * _UNIT_SECONDS[unit] for unit, value in parts if value)


@dataclass(frozen=True)
class LifetimeAction:
    action: str  # "Rotate" | "Notify"
    time_after_create: str | None
    time_before_expiry: str | None

    def to_json(self) -> dict[str, Any]:
        trigger = (
            {"timeAfterCreate": self.time_after_create}
            if self.time_after_create is not None
            else {"timeBeforeExpiry": self.time_before_expiry}
        )
        return {"trigger": trigger, "action": {"type": self.action}}


@dataclass(frozen=True)
class RotationPolicy:
    """A validated policy; ``explicit`` is False for the default of a key never given one."""

    actions: tuple[LifetimeAction, ...]
    expiry_time: str | None
    created: int
    updated: int
    explicit: bool = True

    @classmethod
    def default(cls, now: int) -> RotationPolicy:
        notify = LifetimeAction("Notify", None, DEFAULT_NOTIFY_BEFORE_EXPIRY)
        return cls((notify,), None, now, now, explicit=False)

    @classmethod
    def from_request(
        cls, body: Any, *, now: int, previous: RotationPolicy | None
    ) -> RotationPolicy:
        """Validate a PUT body; raises :class:`RotationPolicyError` for what Azure refuses."""
        if not isinstance(body, Mapping):
            raise RotationPolicyError("The rotation policy must be a JSON object.")
        attributes = body.get("attributes") or {}
        if not isinstance(attributes, Mapping):
            raise RotationPolicyError("'attributes' must be a JSON object.")
        expiry_time = attributes.get("expiryTime")
        expiry = None
        if expiry_time is not None:
            expiry = parse_duration(expiry_time, field="expiryTime")
            if expiry < 28 * DAY:
                raise RotationPolicyError("'expiryTime' must be at least 28 days (P28D).")
        raw_actions = body.get("lifetimeActions") or []
        if not isinstance(raw_actions, list):
            raise RotationPolicyError("'lifetimeActions' must be a list.")
        actions = tuple(_parse_action(raw, expiry) for raw in raw_actions)
        for name in _ACTION_NAMES.values():
            if sum(1 for action in actions if action.action == name) > 1:
                raise RotationPolicyError(f"A rotation policy may hold only one {name} action.")
        created = previous.created if previous is not None and previous.explicit else now
        return cls(actions, expiry_time, created, now)

    def to_json(self, policy_id: str) -> dict[str, Any]:
        attributes: dict[str, Any] = {"created": self.created, "updated": self.updated}
        if self.expiry_time is not None:
            attributes["expiryTime"] = self.expiry_time
        return {
            "id": policy_id,
            "lifetimeActions": [action.to_json() for action in self.actions],
            "attributes": attributes,
        }

    def expiry_seconds(self) -> int | None:
        """The lifetime given to new versions, or None when the policy sets none."""
        return None if self.expiry_time is None else parse_duration(self.expiry_time)

    def rotation_due(self, *, created: int, expires: int | None) -> int | None:
        """When the version created at ``created`` (expiring at ``expires``) is due to rotate."""
        for action in self.actions:
            if action.action != "Rotate":
                continue
            if action.time_after_create is not None:
                return created + parse_duration(action.time_after_create)
            if action.time_before_expiry is not None and expires is not None:
                return expires - parse_duration(action.time_before_expiry)
        return None


def _parse_action(raw: Any, expiry: int | None) -> LifetimeAction:
    if not isinstance(raw, Mapping):
        raise RotationPolicyError("Each lifetime action must be a JSON object.")
    action_type = (raw.get("action") or {}).get("type")
    name = _ACTION_NAMES.get(action_type.lower()) if isinstance(action_type, str) else None
    if name is None:
        raise RotationPolicyError("A lifetime action's type must be Rotate or Notify.")
    trigger = raw.get("trigger") or {}
    after_create = trigger.get("timeAfterCreate")
    before_expiry = trigger.get("timeBeforeExpiry")
    if (after_create is None) == (before_expiry is None):
        raise RotationPolicyError(
            "A trigger needs exactly one of timeAfterCreate and timeBeforeExpiry."
        )
    if name == "Notify" and after_create is not None:
        raise RotationPolicyError("A Notify action is triggered by timeBeforeExpiry only.")
    if after_create is not None:
        after = parse_duration(after_create, field="timeAfterCreate")
        if after < 7 * DAY:
            raise RotationPolicyError("Rotation must be at least 7 days after creation.")
        if expiry is not None and after > expiry - 7 * DAY:
            raise RotationPolicyError("Rotation must be at least 7 days before expiry.")
        return LifetimeAction(name, after_create, None)
    before = parse_duration(before_expiry, field="timeBeforeExpiry")
    if expiry is None:
        raise RotationPolicyError("timeBeforeExpiry requires the policy's expiryTime.")
    if before <= 0:
        raise RotationPolicyError("timeBeforeExpiry must be a positive duration.")
    if name == "Rotate":
        if before < 7 * DAY:
            raise RotationPolicyError("Rotation must be at least 7 days before expiry.")
        if before > expiry - 7 * DAY:
            raise RotationPolicyError("Rotation must be at least 7 days after creation.")
    elif before >= expiry:
        raise RotationPolicyError("A Notify's timeBeforeExpiry must be shorter than expiryTime.")
    return LifetimeAction(name, None, before_expiry)
