"""SARIF 2.1.0 for a posture report: rule metadata, results, locations, suppressions."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import PurePath, PurePosixPath
from typing import Any

from safevault.posture._findings import Finding, Severity, Verdict
from safevault.posture._rule import DOCS_URL, Rule

__all__ = ["SARIF_SCHEMA", "sarif_log"]

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

_LEVEL = {
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning maps security-severity to critical/high/medium/low.
_SECURITY_SEVERITY = {
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
_KIND = {
    Verdict.FAIL: "fail",
    Verdict.UNKNOWN: "review",
    Verdict.PASS: "pass",
    Verdict.NOT_APPLICABLE: "notApplicable",
}


def _descriptor(rule: Rule) -> dict[str, Any]:
    refs = "\n".join(f"- {r.label}" + (f" ({r.url})" if r.url else "") for r in rule.references)
    help_text = (
        f"{rule.rationale}\n\nPasses when: {rule.passes_when}.\n\n"
        f"Fix: {rule.remediation}\n\nIn a template: {rule.template_fix}"
    )
    help_md = (
        f"{rule.rationale}\n\n**Passes when:** {rule.passes_when}.\n\n"
        f"**Fix:** `{rule.remediation}`\n\n**In a template:** `{rule.template_fix}`"
        + (f"\n\n**References:**\n{refs}" if refs else "")
    )
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": help_text, "markdown": help_md},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "security-severity": _SECURITY_SEVERITY[rule.severity],
            "precision": "high",
            "tags": ["security", "azure", "key-vault", f"safevault/{rule.family.lower()}"],
        },
    }


def _uri(path: str) -> str:
    pure = PurePath(path)
    if pure.is_absolute():
        try:
            return pure.as_uri()
        except ValueError:
            return PurePosixPath(path).as_posix()
    return pure.as_posix()


def _location(f: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {}
    source = f.source
    if source is not None and source.path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(source.path)}}
        if source.line:
            physical["region"] = {"startLine": source.line}
        location["physicalLocation"] = physical
    qualified = f.resource_id or f"Microsoft.KeyVault/vaults/{f.resource}"
    location["logicalLocations"] = [
        {"name": f.resource, "fullyQualifiedName": qualified, "kind": "resource"}
    ]
    return location


def _result(f: Finding, index: int) -> dict[str, Any]:
    kind = _KIND[f.verdict]
    fingerprint = hashlib.sha256(
        "|".join(
            [f.rule_id, f.resource_id or f.resource, (f.source.path if f.source else "") or ""]
        )
        .lower()
        .encode()
    ).hexdigest()
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "kind": kind,
        "level": _LEVEL[f.severity] if kind == "fail" else "none",
        "message": {"text": f"{f.title}: {f.evidence}"},
        "locations": [_location(f)],
        "partialFingerprints": {"safevaultFinding/v1": fingerprint},
        "properties": {"verdict": f.verdict.value, "severity": f.severity.value},
    }
    if f.suppressed:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f.justification or ""}
        ]
    return result


def sarif_log(
    findings: Sequence[Finding], rules: Sequence[Rule], *, include_passing: bool = False
) -> dict[str, Any]:
    """The SARIF 2.1.0 log of a report's ``findings`` (JSON-ready).

    :param rules: the rules the report ran; empty: those of the findings, from the registry.
    """
    from safevault._version import __version__

    rules = list(rules) or _rules_of(findings)
    index = {r.id: i for i, r in enumerate(rules)}
    shown = {Verdict.FAIL, Verdict.UNKNOWN}
    if include_passing:
        shown |= {Verdict.PASS, Verdict.NOT_APPLICABLE}
    results = [_result(f, index[f.rule_id]) for f in findings if f.verdict in shown]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "safevault",
                        "semanticVersion": __version__,
                        "informationUri": DOCS_URL.rsplit("/rules/", 1)[0] + "/",
                        "rules": [_descriptor(r) for r in rules],
                    }
                },
                "invocations": [{"executionSuccessful": True}],
                "results": results,
            }
        ],
    }


def _rules_of(findings: Sequence[Finding]) -> list[Rule]:
    from safevault.posture._registry import RULES

    seen = {f.rule_id for f in findings}
    return [r for r in RULES.values() if r.id in seen]
