"""``PostureOptions``: thresholds, allow-lists and suppressions of the posture rules."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone
from typing import Any

from safevault.errors import InvalidArgumentError

__all__ = ["PostureOptions", "Suppression"]


@dataclass(frozen=True, slots=True)
class Suppression:
    """Accept one rule's FAIL on matching vaults, for a stated reason.

    A suppressed finding is still reported (marked suppressed, with the justification); it
    no longer counts towards ``--fail-on``.

    :param rule_id: the rule id (``KV-NET-01``), or a glob (``KV-OBJ-*``).
    :param resource: a glob matched case-insensitively against the vault's name and id.
    :param justification: why this is acceptable (required, not blank).
    :param expires_on: the last day the suppression applies (None: no end).
    """

    rule_id: str
    resource: str
    justification: str
    expires_on: date | None = None

    def __post_init__(self) -> None:
        for name in ("rule_id", "resource", "justification"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidArgumentError(
                    f"Suppression.{name} must be a non-empty string: every suppression "
                    "names its rule, its resource and why it is acceptable"
                )

    def matches(self, rule_id: str, name: str, resource_id: str | None, today: date) -> bool:
        """True if this suppression covers ``rule_id`` on the vault ``name``/``resource_id``."""
        if self.expires_on is not None and today > self.expires_on:
            return False
        if not fnmatch.fnmatchcase(rule_id.upper(), self.rule_id.upper()):
            return False
        pattern = self.resource.lower()
        candidates = [name.lower()] + ([resource_id.lower()] if resource_id else [])
        return any(fnmatch.fnmatchcase(c, pattern) for c in candidates)


def _frozen(value: Iterable[str], name: str) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidArgumentError(f"PostureOptions.{name} must be a collection of strings")
    items = list(value)
    if not all(isinstance(item, str) for item in items):
        raise InvalidArgumentError(f"PostureOptions.{name} must be a collection of strings")
    return frozenset(items)


_POSITIVE = (
    "min_ip_prefix_length",
    "min_retention_days",
    "max_rotation_days",
    "max_lifetime_days",
    "max_certificate_validity_months",
    "min_rsa_key_size",
)
_SETS = (
    "iam_allowed_principals",
    "access_policy_allowed_principals",
    "allowed_ip_rules",
    "allowed_curves",
    "enabled_for_deployment_allowed",
    "enabled_for_template_deployment_allowed",
    "enabled_for_disk_encryption_allowed",
)


@dataclass(frozen=True, slots=True)
class PostureOptions:
    """Thresholds, allow-lists and suppressions for :func:`~safevault.posture.check`.

    :param external_diagnostics: diagnostic settings and alerts are deployed outside the
        template (e.g. by Azure Policy): a template without them gives UNKNOWN on the
        KV-LOG rules instead of FAIL.
    :param workspace_id: the Log Analytics workspace audit logs must reach (KV-LOG-02);
        None accepts any workspace.
    :param iam_allowed_principals: principal ids exempt from KV-IAM-02.
    :param access_policy_allowed_principals: principal ids allowed broad or issuer/release
        permissions in access policies (KV-ACC-02).
    :param min_ip_prefix_length: the shortest IPv4 prefix an IP rule may have (KV-NET-03).
    :param allowed_ip_rules: IP rules exempt from KV-NET-03, as written in the vault.
    :param min_retention_days: the soft-delete retention required (KV-REC-03; 7-90).
    :param max_rotation_days: a key's rotation must fire within this many days (KV-OBJ-04).
    :param max_lifetime_days: the longest ``expires - created`` of an object (KV-OBJ-03).
    :param max_certificate_validity_months: the longest certificate validity (KV-OBJ-07).
    :param min_rsa_key_size: the smallest RSA key (KV-OBJ-09).
    :param allowed_curves: the EC curves accepted (KV-OBJ-09).
    :param enabled_for_deployment_allowed: vault name globs that may keep
        ``enabledForDeployment`` on (KV-ADV-01); likewise the two below for KV-ADV-02/03.
    :param enabled_for_template_deployment_allowed: see above.
    :param enabled_for_disk_encryption_allowed: see above.
    :param suppressions: accepted FAILs, each with a justification.
    :param now: the time expiry is judged at (None: the current time).
    """

    external_diagnostics: bool = False
    workspace_id: str | None = None
    iam_allowed_principals: frozenset[str] = frozenset()
    access_policy_allowed_principals: frozenset[str] = frozenset()
    min_ip_prefix_length: int = 24
    allowed_ip_rules: frozenset[str] = frozenset()
    min_retention_days: int = 90
    max_rotation_days: int = 365
    max_lifetime_days: int = 365
    max_certificate_validity_months: int = 12
    min_rsa_key_size: int = 2048
    allowed_curves: frozenset[str] = frozenset({"P-256", "P-384", "P-521"})
    enabled_for_deployment_allowed: frozenset[str] = frozenset()
    enabled_for_template_deployment_allowed: frozenset[str] = frozenset()
    enabled_for_disk_encryption_allowed: frozenset[str] = frozenset()
    suppressions: tuple[Suppression, ...] = field(default=())
    now: datetime | None = None

    def __post_init__(self) -> None:
        for name in _SETS:
            object.__setattr__(self, name, _frozen(getattr(self, name), name))
        for name in _POSITIVE:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InvalidArgumentError(f"PostureOptions.{name} must be a positive int")
        if self.min_ip_prefix_length > 32:
            raise InvalidArgumentError("PostureOptions.min_ip_prefix_length must be 1-32")
        if not 7 <= self.min_retention_days <= 90:
            raise InvalidArgumentError(
                "PostureOptions.min_retention_days must be 7-90 (Key Vault's valid range)"
            )
        suppressions = tuple(self.suppressions)
        if not all(isinstance(s, Suppression) for s in suppressions):
            raise InvalidArgumentError("PostureOptions.suppressions must hold Suppression objects")
        object.__setattr__(self, "suppressions", suppressions)
        if self.now is not None and self.now.tzinfo is None:
            raise InvalidArgumentError("PostureOptions.now must be timezone-aware")

    def current_time(self) -> datetime:
        """``now``, or the current UTC time."""
        return self.now if self.now is not None else datetime.now(timezone.utc)

    def allows(self, option: str, vault_name: str) -> bool:
        """True if the vault name matches a glob of the allow-list ``option``."""
        patterns: frozenset[str] = getattr(self, option)
        return any(fnmatch.fnmatchcase(vault_name.lower(), p.lower()) for p in patterns)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PostureOptions:
        """Options from a JSON-like mapping (the CLI's ``--config`` file).

        Keys are the parameter names; ``suppressions`` is a list of objects with ``rule``
        (or ``rule_id``), ``resource``, ``justification`` and optional ``expires_on``
        (``YYYY-MM-DD``).

        :raises InvalidArgumentError: an unknown key or a malformed value.
        """
        if not isinstance(data, Mapping):
            raise InvalidArgumentError("posture options must be a JSON object")
        known = {f.name for f in fields(cls)} - {"now"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidArgumentError(
                f"unknown posture option {unknown[0]!r}; known: {', '.join(sorted(known))}"
            )
        kwargs = dict(data)
        raw = kwargs.pop("suppressions", [])
        if not isinstance(raw, list):
            raise InvalidArgumentError("posture option 'suppressions' must be a list")
        kwargs["suppressions"] = tuple(_suppression(item) for item in raw)
        try:
            return cls(**kwargs)
        except TypeError as error:  # a wrong type the dataclass itself refused
            raise InvalidArgumentError(f"invalid posture options: {error}") from None


def _suppression(item: Any) -> Suppression:
    if not isinstance(item, Mapping):
        raise InvalidArgumentError("each suppression must be an object")
    extra = set(item) - {"rule", "rule_id", "resource", "justification", "expires_on"}
    if extra:
        raise InvalidArgumentError(f"unknown suppression field {sorted(extra)[0]!r}")
    expires = item.get("expires_on")
    try:
        expires_on = date.fromisoformat(expires) if isinstance(expires, str) else None
    except ValueError:
        raise InvalidArgumentError(
            f"suppression expires_on {expires!r} is not YYYY-MM-DD"
        ) from None
    return Suppression(
        rule_id=item.get("rule_id", item.get("rule", "")),
        resource=item.get("resource", ""),
        justification=item.get("justification", ""),
        expires_on=expires_on,
    )
