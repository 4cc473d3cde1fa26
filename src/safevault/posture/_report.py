"""``Report``: the findings of one ``check()`` run, as a table, JSON or SARIF."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from safevault.posture._findings import Finding, Severity, Verdict
from safevault.posture._model import VaultConfig

if TYPE_CHECKING:
    from safevault.posture._rule import Rule

__all__ = ["Report"]

_ORDER = [Verdict.FAIL, Verdict.UNKNOWN, Verdict.PASS, Verdict.NOT_APPLICABLE]


@dataclass(frozen=True)
class Report:
    """The findings of one :func:`~safevault.posture.check` run.

    :ivar findings: one finding per rule and vault, in rule order per vault.
    :ivar vaults: the configurations checked.
    :ivar rules: the rules that ran.
    """

    findings: tuple[Finding, ...]
    vaults: tuple[VaultConfig, ...] = ()
    rules: tuple[Rule, ...] = ()

    def failures(self, at_least: Severity = Severity.INFO) -> list[Finding]:
        """Unsuppressed FAILs of severity ``at_least`` or above."""
        return [f for f in self.findings if f.failed and f.severity.rank >= at_least.rank]

    def by_verdict(self, verdict: Verdict) -> list[Finding]:
        """Findings with this verdict (suppressed ones included)."""
        return [f for f in self.findings if f.verdict is verdict]

    def summary(self) -> dict[str, int]:
        """Counts per verdict, ``suppressed``, and ``fail_<severity>`` (unsuppressed FAILs)."""
        counts = Counter(f.verdict.value for f in self.findings)
        out = {v.value: counts.get(v.value, 0) for v in _ORDER}
        out["suppressed"] = sum(1 for f in self.findings if f.suppressed)
        for severity in Severity:
            out[f"fail_{severity.value}"] = sum(
                1 for f in self.findings if f.failed and f.severity is severity
            )
        return out

    def summary_line(self) -> str:
        """One line: how many of each verdict, and the FAILs by severity."""
        s = self.summary()
        fails = ", ".join(
            f"{s[f'fail_{sev.value}']} {sev.value}"
            for sev in reversed(Severity)
            if s[f"fail_{sev.value}"]
        )
        parts = [f"{len(self.vaults) or len({f.resource for f in self.findings})} vault(s)"]
        parts.append(f"{s['FAIL']} FAIL" + (f" ({fails})" if fails else ""))
        parts += [f"{s['UNKNOWN']} UNKNOWN", f"{s['PASS']} PASS", f"{s['NOT_APPLICABLE']} N/A"]
        if s["suppressed"]:
            parts.append(f"{s['suppressed']} suppressed")
        return ", ".join(parts)

    # -- renderings --------------------------------------------------------------------------

    def to_table(self) -> str:
        """A plain aligned text table, FAILs first, then a summary line."""
        headers = ("VERDICT", "SEVERITY", "RULE", "VAULT", "EVIDENCE")
        ordered = sorted(
            self.findings, key=lambda f: (_ORDER.index(f.verdict), -f.severity.rank, f.resource)
        )
        rows = [
            (
                f.verdict.value + (" (suppressed)" if f.suppressed else ""),
                f.severity.value,
                f.rule_id,
                f.resource,
                f.evidence + (f" [suppressed: {f.justification}]" if f.suppressed else ""),
            )
            for f in ordered
        ]
        return _table(headers, rows) + "\n" + self.summary_line() + "\n"

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``to_json`` serializes this)."""
        from safevault._version import __version__

        return {
            "tool": {"name": "safevault", "version": __version__},
            "summary": self.summary(),
            "findings": [_finding_dict(f) for f in self.findings],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON text."""
        return json.dumps(self.as_dict(), indent=indent)

    def sarif(self, *, include_passing: bool = False) -> dict[str, Any]:
        """The report as a SARIF 2.1.0 log (JSON-ready data)."""
        from safevault.posture._sarif import sarif_log

        return sarif_log(self.findings, self.rules, include_passing=include_passing)

    def to_sarif(self, *, include_passing: bool = False, indent: int | None = 2) -> str:
        """The report as SARIF 2.1.0 JSON text.

        FAILs are results of kind ``fail`` (level by severity), UNKNOWNs of kind ``review``;
        with ``include_passing`` PASS and NOT_APPLICABLE are added as ``pass`` and
        ``notApplicable``. Suppressed findings carry a SARIF suppression with the
        justification.
        """
        return json.dumps(self.sarif(include_passing=include_passing), indent=indent)


def _finding_dict(f: Finding) -> dict[str, Any]:
    source = f.source
    return {
        "rule_id": f.rule_id,
        "title": f.title,
        "severity": f.severity.value,
        "verdict": f.verdict.value,
        "resource": f.resource,
        "resource_id": f.resource_id,
        "evidence": f.evidence,
        "remediation": f.remediation,
        "references": [r.label for r in f.references],
        "help_uri": f.help_uri,
        "suppressed": f.suppressed,
        "justification": f.justification,
        "source": None
        if source is None
        else {
            "kind": source.kind,
            "path": source.path,
            "pointer": source.pointer,
            "line": source.line,
        },
    }


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    # The last column is not padded (evidence can be long).
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)
