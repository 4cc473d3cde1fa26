"""fetch(): the real azure-mgmt clients on FakeArm and the real data-plane clients on
FakeVault: paging, 403s (UNKNOWN with the reason, never FAIL), missing extra, telemetry."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError

from safevault.errors import InvalidArgumentError, VaultConfigurationError
from safevault.posture import Unknown, Verdict, check, fetch

from ._fake_arm import RESOURCE_GROUP, SUBSCRIPTION, RoutingTransport
from ._sources import NAME, Role, Spec, live_config, seed_live


def verdict(config: Any, rule: str) -> tuple[Verdict, str]:
    (finding,) = check(config, rules=[rule]).findings
    return finding.verdict, finding.evidence


def test_role_assignments_are_paged_through() -> None:
    spec = Spec(
        roles=[
            Role("Reader", f"p{i}", scope)
            for i, scope in enumerate(["vault", "rg", "sub", "mg", "vault"])
        ]
    )
    arm, fake = seed_live(spec)
    arm.page_size = 2
    config = fetch(
        fake.credential, SUBSCRIPTION, RESOURCE_GROUP, NAME, transport=RoutingTransport(arm, fake)
    )
    assert sorted(r.principal_id for r in config.role_assignments) == ["p0", "p1", "p2", "p3", "p4"]  # type: ignore[union-attr]
    pages = [p for m, p, s in arm.requests if p.lower().endswith("roleassignments")]
    assert len(pages) == 3
    levels = {r.principal_id: r.scope_level for r in config.role_assignments}  # type: ignore[union-attr]
    assert levels == {
        "p0": "vault",
        "p1": "resourceGroup",
        "p2": "subscription",
        "p3": "managementGroup",
        "p4": "vault",
    }


def test_unreadable_extras_are_unknown_with_the_reason() -> None:
    for unknown, rules in (
        ("diagnostics", ["KV-LOG-01", "KV-LOG-02", "KV-LOG-03"]),
        ("roles", ["KV-IAM-02"]),
        ("alerts", ["KV-LOG-05"]),
        ("objects", ["KV-OBJ-01", "KV-OBJ-02", "KV-OBJ-04", "KV-OBJ-07"]),
    ):
        config = live_config(Spec(unknown=unknown))
        for rule in rules:
            found, evidence = verdict(config, rule)
            assert found is Verdict.UNKNOWN, (rule, evidence)
            assert "HTTP 403" in evidence, evidence


def test_rotation_policy_not_readable_is_unknown_not_fail() -> None:
    """Prowler FAILs keyvault_key_rotation_enabled when the data plane is not readable;
    safevault says UNKNOWN (an expected disagreement)."""
    spec = Spec(keys=[{"name": "k1", "kty": "EC-HSM", "exp": None}])
    arm, fake = seed_live(spec)
    fake.inject(403, match=("GET", "/rotationpolicy"))
    config = fetch(
        fake.credential, SUBSCRIPTION, RESOURCE_GROUP, NAME, transport=RoutingTransport(arm, fake)
    )
    assert isinstance(config.keys[0].rotation_policy, Unknown)  # type: ignore[index]
    found, evidence = verdict(config, "KV-OBJ-04")
    assert found is Verdict.UNKNOWN and "403" in evidence
    assert verdict(config, "KV-OBJ-01")[0] is Verdict.FAIL  # what could be read still counts


def test_custom_roles_are_judged_by_their_definition() -> None:
    spec = Spec(roles=[Role("custom:Microsoft.Authorization/*/write", scope="rg")])
    config = live_config(spec)
    assert verdict(config, "KV-IAM-02")[0] is Verdict.FAIL
    harmless = live_config(Spec(roles=[Role("custom:Microsoft.KeyVault/vaults/read", scope="rg")]))
    assert verdict(harmless, "KV-IAM-02")[0] is Verdict.PASS
    arm, fake = seed_live(spec)
    arm.forbidden.append("/roledefinitions/")
    unreadable = fetch(
        fake.credential, SUBSCRIPTION, RESOURCE_GROUP, NAME, transport=RoutingTransport(arm, fake)
    )
    found, evidence = verdict(unreadable, "KV-IAM-02")
    assert found is Verdict.UNKNOWN and "not a built-in role" in evidence


def test_unreadable_vault_raises_the_sdk_error() -> None:
    arm, fake = seed_live(Spec())
    with pytest.raises(ResourceNotFoundError):
        fetch(
            fake.credential,
            SUBSCRIPTION,
            RESOURCE_GROUP,
            "nope",
            transport=RoutingTransport(arm, fake),
        )


def test_options_and_arguments() -> None:
    config = live_config(Spec(), data_plane=False, alerts=False)
    assert isinstance(config.keys, Unknown) and isinstance(config.alert_rules, Unknown)
    assert config.source.kind == "live" and config.id.endswith("/vaults/kv1")  # type: ignore[union-attr]
    with pytest.raises(InvalidArgumentError, match="vault_name"):
        fetch(object(), SUBSCRIPTION, RESOURCE_GROUP, " ")  # type: ignore[arg-type]


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.mgmt.keyvault", None)
    with pytest.raises(VaultConfigurationError, match=r'pip install "safevault\[posture\]"'):
        fetch(object(), SUBSCRIPTION, RESOURCE_GROUP, NAME)  # type: ignore[arg-type]


def test_one_span_with_sdk_spans_beneath() -> None:
    otel = pytest.importorskip("otel_support")
    exporter, _ = otel.pipeline()
    exporter.clear()
    live_config(Spec())
    spans = exporter.get_finished_spans()
    ours = [s for s in spans if s.name == "safevault.fetch"]
    assert len(ours) == 1
    span = ours[0]
    assert span.attributes["safevault.posture.vault"] == NAME
    assert span.attributes["safevault.vault.host"] == "fake.vault.azure.net"
    children = [
        s for s in spans if s.parent is not None and s.parent.span_id == span.context.span_id
    ]
    assert all(s.context.trace_id == span.context.trace_id for s in children)
