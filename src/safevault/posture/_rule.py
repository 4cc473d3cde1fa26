"""A rule: metadata plus a pure function ``(VaultConfig, PostureOptions) -> Outcome``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from safevault.posture._findings import Outcome, Reference, Severity, Verdict
from safevault.posture._model import VaultConfig
from safevault.posture._options import PostureOptions

__all__ = [
    "DOCS_URL",
    "Check",
    "Rule",
    "fail",
    "na",
    "ok",
    "rule",
    "unknown",
]

DOCS_URL = "https://safevault.readthedocs.io/en/latest/posture/rules/"
"""The rules reference page; each rule's ``help_uri`` is an anchor on it."""

Check = Callable[[VaultConfig, PostureOptions], Outcome]

_DEFINED: list[Rule] = []


@dataclass(frozen=True, slots=True)
class Rule:
    """One posture rule and what the docs, SARIF and reports say about it.

    :ivar id: e.g. ``"KV-NET-01"``.
    :ivar name: a PascalCase name (SARIF ``rule.name``).
    :ivar title: one line.
    :ivar severity: how much a FAIL matters.
    :ivar reads: the fields the rule reads.
    :ivar passes_when: when it passes, in one line.
    :ivar rationale: why it matters.
    :ivar remediation: the fix, an ``az`` command (``{vault}`` stands for the vault's name).
    :ivar template_fix: the same fix in an ARM template.
    :ivar references: benchmark numbers, Azure Policy ids, other scanners' checks.
    :ivar check: the pure rule function.
    """

    id: str
    name: str
    title: str
    severity: Severity
    reads: str
    passes_when: str
    rationale: str
    remediation: str
    template_fix: str
    references: tuple[Reference, ...]
    check: Check

    @property
    def family(self) -> str:
        """``IAM``, ``ACC``, ``ADV``, ``NET``, ``REC``, ``LOG`` or ``OBJ``."""
        return self.id.split("-")[1]

    @property
    def help_uri(self) -> str:
        """The rule's anchor on the rules reference page."""
        return f"{DOCS_URL}#{self.id.lower()}"

    def remediation_for(self, vault_name: str) -> str:
        """The remediation with the vault's name filled in."""
        return self.remediation.replace("{vault}", vault_name)


def rule(
    *,
    id: str,
    name: str,
    title: str,
    severity: Severity,
    reads: str,
    passes_when: str,
    rationale: str,
    remediation: str,
    template_fix: str,
    references: tuple[Reference, ...] = (),
) -> Callable[[Check], Check]:
    """Register the decorated function as a rule with this metadata."""

    def register(check: Check) -> Check:
        _DEFINED.append(
            Rule(
                id=id,
                name=name,
                title=title,
                severity=severity,
                reads=reads,
                passes_when=passes_when,
                rationale=rationale,
                remediation=remediation,
                template_fix=template_fix,
                references=references,
                check=check,
            )
        )
        return check

    return register


def defined() -> list[Rule]:
    """Every rule registered so far, in definition order."""
    return list(_DEFINED)


def ok(evidence: str) -> Outcome:
    """A PASS outcome."""
    return Outcome(Verdict.PASS, evidence)


def fail(evidence: str) -> Outcome:
    """A FAIL outcome."""
    return Outcome(Verdict.FAIL, evidence)


def unknown(evidence: str) -> Outcome:
    """An UNKNOWN outcome."""
    return Outcome(Verdict.UNKNOWN, evidence)


def na(evidence: str) -> Outcome:
    """A NOT_APPLICABLE outcome."""
    return Outcome(Verdict.NOT_APPLICABLE, evidence)
