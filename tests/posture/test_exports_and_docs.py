"""The public surface of safevault.posture, the registry's metadata, the generated docs and
the example templates."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import safevault.posture
from safevault.posture import RULES, Severity, Verdict, check, load_arm

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "RULES", "AccessPolicy", "AlertRule", "CertificateItem", "DiagnosticSetting", "Finding",
    "KeyItem", "LifetimeAction", "LogSetting", "MetricSetting", "NetworkAcls", "Outcome",
    "PostureInputError", "PostureOptions", "PrivateEndpointConnection", "Reference", "Report",
    "RoleAssignment", "RotationPolicy", "Rule", "SecretItem", "Severity", "Source",
    "Suppression", "Unknown", "VaultConfig", "Verdict", "VirtualNetworkRule", "check", "fetch",
    "load_arm", "load_az_json",
}  # fmt: skip

# The rule table of posture-rules.md: every id there is implemented, with its severity.
TABLE = {
    "KV-IAM-01": "high", "KV-IAM-02": "high", "KV-ACC-01": "high", "KV-ACC-02": "medium",
    "KV-ACC-03": "info", "KV-ADV-01": "low", "KV-ADV-02": "low", "KV-ADV-03": "low",
    "KV-NET-01": "high", "KV-NET-02": "high", "KV-NET-03": "high", "KV-NET-04": "medium",
    "KV-NET-05": "info", "KV-NET-06": "low", "KV-NET-07": "medium", "KV-NET-08": "high",
    "KV-REC-01": "medium", "KV-REC-02": "high", "KV-REC-03": "low", "KV-LOG-01": "high",
    "KV-LOG-02": "medium", "KV-LOG-03": "low", "KV-LOG-05": "low", "KV-OBJ-01": "medium",
    "KV-OBJ-02": "medium", "KV-OBJ-03": "low", "KV-OBJ-04": "medium", "KV-OBJ-05": "low",
    "KV-OBJ-06": "low", "KV-OBJ-07": "medium", "KV-OBJ-08": "medium", "KV-OBJ-09": "low",
}  # fmt: skip


def test_exported_members() -> None:
    assert set(safevault.posture.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(safevault.posture, name) is not None


def test_registry_matches_the_rule_table() -> None:
    assert {r: RULES[r].severity.value for r in RULES} == TABLE
    names = [rule.name for rule in RULES.values()]
    assert len(set(names)) == len(names)
    for rule in RULES.values():
        assert rule.title and rule.rationale and rule.reads and rule.passes_when
        assert rule.remediation.startswith(("az ", "set at creation")) or "az " in rule.remediation
        assert rule.template_fix
        assert rule.help_uri.endswith("#" + rule.id.lower())
        assert isinstance(rule.severity, Severity)


def test_generated_rules_page_is_current() -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_posture_docs", ROOT / "scripts" / "gen_posture_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run: python scripts/gen_posture_docs.py"
    page = (ROOT / "docs" / "posture" / "rules.md").read_text()
    for rule in RULES.values():
        assert f"### {rule.id}\n" in page


def test_hardened_example_passes_everything() -> None:
    (vault,) = load_arm(ROOT / "examples" / "posture" / "hardened.json")
    report = check(vault)
    assert {f.verdict for f in report.findings} <= {Verdict.PASS, Verdict.NOT_APPLICABLE}, [
        (f.rule_id, f.verdict.value, f.evidence)
        for f in report.findings
        if f.verdict not in (Verdict.PASS, Verdict.NOT_APPLICABLE)
    ]


def test_open_example_fails_most_rules() -> None:
    (vault,) = load_arm(ROOT / "examples" / "posture" / "open.json")
    report = check(vault)
    failed = {f.rule_id for f in report.findings if f.verdict is Verdict.FAIL}
    assert len(failed) >= 0.75 * len(RULES), sorted(set(RULES) - failed)
    assert not report.by_verdict(Verdict.UNKNOWN)


@pytest.mark.parametrize("name", ["show.json", "diagnostics.json", "role-assignments.json"])
def test_az_samples_are_valid_json(name: str) -> None:
    import json

    json.loads((ROOT / "examples" / "posture" / "az" / name).read_text())
