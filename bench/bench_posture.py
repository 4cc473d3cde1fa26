"""Benchmark of the posture rules over 1,000 generated vault configurations.

    python bench/bench_posture.py            # prints a markdown table

1,000 vaults are generated with a fixed seed: random permission models, access policies,
network ACLs and IP rules, private endpoints, recovery settings, diagnostic settings, role
assignments, alerts, and 0-8 keys and secrets each (some values unresolved, as templates
have them). Measured, median of 5 runs each:

1. ``check()`` over the 1,000 ready ``VaultConfig`` objects: every rule on every vault
   (the rules alone; target well under 1 s);
2. normalizing 1,000 REST/``az`` vault documents (``vault_from_document``) and checking them;
3. ``load_arm`` of one template holding the 1,000 vaults with their children, then checking.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from _util import machine_info, md_table

from safevault.posture import RULES, Source, check, load_arm
from safevault.posture._az import vault_from_document
from safevault.posture._values import Unknown

VAULTS = 1_000
REPEATS = 5
SEED = 20_240_601
ROLES = [
    "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
    "/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
    "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
]
PERMS = ["get", "list", "set", "delete", "purge", "all", "create", "update", "release"]


def _props(rng: random.Random) -> dict[str, Any]:
    def maybe(value: Any) -> Any:
        return "[parameters('unset')]" if rng.random() < 0.05 else value

    return {
        "tenantId": "t",
        "sku": {"family": "A", "name": rng.choice(["standard", "premium"])},
        "enableRbacAuthorization": maybe(rng.random() < 0.6),
        "accessPolicies": [
            {
                "tenantId": "t",
                "objectId": f"p{rng.randrange(20)}",
                "permissions": {
                    c: rng.sample(PERMS, rng.randrange(4))
                    for c in ("keys", "secrets", "certificates")
                },
            }
            for _ in range(rng.randrange(4))
        ],
        "publicNetworkAccess": maybe(rng.choice(["Enabled", "Disabled", "disabled"])),
        "networkAcls": {
            "defaultAction": rng.choice(["Allow", "Deny"]),
            "bypass": rng.choice(["AzureServices", "None"]),
            "ipRules": [
                {
                    "value": rng.choice(
                        ["0.0.0.0/0", "10.0.0.0/8", "203.0.113.7/32", "198.51.100.0/24"]
                    )
                }
                for _ in range(rng.randrange(4))
            ],
            "virtualNetworkRules": [
                {"id": f"/subnets/s{i}", "ignoreMissingVnetServiceEndpoint": rng.random() < 0.3}
                for i in range(rng.randrange(3))
            ],
        },
        "enableSoftDelete": rng.choice([True, True, False, "true"]),
        "softDeleteRetentionInDays": rng.choice([7, 30, 90]),
        "enablePurgeProtection": maybe(rng.random() < 0.5),
        "enabledForDeployment": rng.random() < 0.2,
        "enabledForTemplateDeployment": rng.random() < 0.2,
        "enabledForDiskEncryption": rng.random() < 0.2,
        "privateEndpointConnections": [
            {
                "id": "c",
                "properties": {
                    "privateLinkServiceConnectionState": {
                        "status": rng.choice(["Approved", "Pending"])
                    }
                },
            }
            for _ in range(rng.randrange(2))
        ],
    }


def _children(
    rng: random.Random, now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    keys = [
        {
            "name": f"k{i}",
            "kty": rng.choice(["RSA", "RSA-HSM", "EC", "EC-HSM"]),
            "keySize": rng.choice([2048, 3072]),
            "attributes": {"exp": int((now + timedelta(days=rng.randrange(-10, 900))).timestamp())}
            if rng.random() < 0.7
            else {},
            "rotationPolicy": {
                "attributes": {"expiryTime": "P1Y"},
                "lifetimeActions": [
                    {
                        "trigger": {"timeAfterCreate": rng.choice(["P90D", "P2Y"])},
                        "action": {"type": "rotate"},
                    }
                ],
            }
            if rng.random() < 0.5
            else None,
        }
        for i in range(rng.randrange(5))
    ]
    secrets = [
        {
            "name": f"s{i}",
            "contentType": rng.choice(["password", None]),
            "attributes": {"exp": int((now + timedelta(days=rng.randrange(1, 400))).timestamp())}
            if rng.random() < 0.6
            else {},
        }
        for i in range(rng.randrange(4))
    ]
    return keys, secrets


def generate(rng: random.Random) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """1,000 REST vault documents (with extras) and one template with the same vaults."""
    now = datetime.now(timezone.utc)
    documents: list[dict[str, Any]] = []
    resources: list[dict[str, Any]] = []
    for n in range(VAULTS):
        name = f"kv{n:04d}"
        vault_id = f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{name}"
        props = _props(rng)
        keys, secrets = _children(rng, now)
        diag = [
            {
                "name": "d",
                "properties": {
                    "workspaceId": rng.choice(["w", None]),
                    "logs": [{"categoryGroup": "audit", "enabled": True}],
                    "metrics": [{"category": "AllMetrics", "enabled": rng.random() < 0.5}],
                },
            }
            for _ in range(rng.randrange(2))
        ]
        roles = [
            {
                "properties": {
                    "roleDefinitionId": rng.choice(ROLES),
                    "principalId": f"p{rng.randrange(9)}",
                    "scope": vault_id,
                }
            }
            for _ in range(rng.randrange(3))
        ]
        documents.append(
            {
                "doc": {"id": vault_id, "name": name, "properties": props},
                "diag": diag,
                "roles": roles,
            }
        )
        resources.append({"type": "Microsoft.KeyVault/vaults", "name": name, "properties": props})
        for key in keys:
            key_props = {k: v for k, v in key.items() if k != "name" and v is not None}
            resources.append(
                {
                    "type": "Microsoft.KeyVault/vaults/keys",
                    "name": f"{name}/{key['name']}",
                    "properties": key_props,
                }
            )
        for secret in secrets:
            resources.append(
                {
                    "type": "Microsoft.KeyVault/vaults/secrets",
                    "name": f"[concat('{name}', '/{secret['name']}')]",
                    "properties": {k: v for k, v in secret.items() if k != "name"},
                }
            )
        for setting in diag:
            resources.append(
                {
                    "type": "Microsoft.Insights/diagnosticSettings",
                    "name": "d",
                    "scope": f"[resourceId('Microsoft.KeyVault/vaults', '{name}')]",
                    "properties": setting["properties"],
                }
            )
    template = {
        "contentVersion": "1.0.0.0",
        "parameters": {"unset": {"type": "bool"}},
        "resources": resources,
    }
    return documents, template


def timed(fn: Callable[[], object]) -> float:
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    rng = random.Random(SEED)
    documents, template = generate(rng)
    no_objects = Unknown("not generated")

    def normalize() -> list[Any]:
        return [
            vault_from_document(
                d["doc"],
                Source("az"),
                diagnostics=d["diag"],
                role_assignments=d["roles"],
                alerts=[],
                keys=no_objects,
                secrets=no_objects,
                certificates=no_objects,
            )
            for d in documents
        ]

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fleet.json"
        path.write_text(json.dumps(template))
        arm_configs = load_arm(path)
        az_configs = normalize()
        assert len(arm_configs) == len(az_configs) == VAULTS
        report = check(arm_configs)
        rules_only = timed(lambda: check(arm_configs))
        from_az = timed(lambda: check(normalize()))
        from_arm = timed(lambda: check(load_arm(path)))
    findings = len(report.findings)
    rows = [
        (
            "check() over 1,000 ready configurations (rules only)",
            f"{rules_only * 1e3:.0f} ms",
            f"{rules_only / findings * 1e6:.1f} us",
        ),
        (
            "normalize 1,000 az/REST documents + check()",
            f"{from_az * 1e3:.0f} ms",
            f"{from_az / findings * 1e6:.1f} us",
        ),
        (
            "load_arm (1 template, 1,000 vaults) + check()",
            f"{from_arm * 1e3:.0f} ms",
            f"{from_arm / findings * 1e6:.1f} us",
        ),
    ]
    info = machine_info(["azure-core"])
    print(f"## Posture rules: {VAULTS:,} vaults x {len(RULES)} rules = {findings:,} findings\n")
    print(md_table(("what", "median of 5", "per finding"), rows))
    summary = report.summary()
    counts = ", ".join(f"{summary[v]:,} {v}" for v in ("FAIL", "UNKNOWN", "PASS", "NOT_APPLICABLE"))
    print(f"\nVerdicts: {counts}.")
    print(f"Machine: {info['cpu']}, {info['usable_cores']} usable cores, {info['python']}.")
    target = 1.0
    if rules_only >= target:
        print(f"\nTARGET MISSED: the rules took {rules_only:.2f} s (target < {target} s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
