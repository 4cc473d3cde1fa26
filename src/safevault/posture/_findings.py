"""Verdicts, severities and findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from safevault.posture._model import Source

__all__ = ["Finding", "Outcome", "Reference", "Severity", "Verdict"]


class Verdict(str, enum.Enum):
    """The verdict of one rule on one vault.

    ``UNKNOWN`` when a value it needs is an unresolved template expression or could not be
    read: a rule never FAILs on what it cannot see.
    """

    PASS = "PASS"  # noqa: S105 (a verdict, not a password)
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"
    NOT_APPLICABLE = "NOT_APPLICABLE"

    def __str__(self) -> str:
        return self.value


class Severity(str, enum.Enum):
    """How much a FAIL matters; ordered ``INFO < LOW < MEDIUM < HIGH``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for INFO up to 3 for HIGH."""
        return _RANKS[self]

    def __str__(self) -> str:
        return self.value


_RANKS = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference: a benchmark number, a policy id or another scanner's check."""

    label: str
    url: str | None = None

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a rule function returns: a verdict and the evidence for it (one line)."""

    verdict: Verdict
    evidence: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict on one vault.

    :ivar rule_id: e.g. ``"KV-NET-01"``.
    :ivar title: the rule's title.
    :ivar severity: the rule's severity.
    :ivar verdict: PASS, FAIL, UNKNOWN or NOT_APPLICABLE.
    :ivar resource: the vault's name.
    :ivar evidence: what was seen, one line (never a secret's value).
    :ivar remediation: how to fix it (an ``az`` command or template change).
    :ivar references: benchmark numbers, policy ids, other scanners' checks.
    :ivar resource_id: the vault's ARM id, when known.
    :ivar source: where the configuration was read from.
    :ivar help_uri: the rule's page in the docs.
    :ivar suppressed: True when a suppression in the options matched.
    :ivar justification: the suppression's justification.
    """

    rule_id: str
    title: str
    severity: Severity
    verdict: Verdict
    resource: str
    evidence: str
    remediation: str
    references: tuple[Reference, ...] = ()
    resource_id: str | None = None
    source: Source | None = None
    help_uri: str | None = None
    suppressed: bool = False
    justification: str | None = None

    @property
    def failed(self) -> bool:
        """True for an unsuppressed FAIL."""
        return self.verdict is Verdict.FAIL and not self.suppressed
