"""Rules on how the vault is reached: KV-NET (public access, firewall, private endpoints)."""

from __future__ import annotations

import ipaddress

from safevault.posture._findings import Outcome, Severity
from safevault.posture._model import NetworkAcls, VaultConfig
from safevault.posture._options import PostureOptions
from safevault.posture._refs import ap, checkov, cis, learn, prowler, seed
from safevault.posture._rule import fail, na, ok, rule, unknown
from safevault.posture._values import Maybe, Tri, Unknown

__all__: list[str] = []

_NET_DOC = learn("Configure Key Vault networking", "general/network-security")
_PL_DOC = learn("Private Link for Key Vault", "general/private-link-service")


def _acls(vault: VaultConfig) -> NetworkAcls | Unknown:
    acls = vault.network_acls
    return NetworkAcls() if acls is None else acls


def _public_disabled(vault: VaultConfig) -> Tri:
    value = vault.public_network_access
    if isinstance(value, Unknown):
        return value
    return value is not None and value.lower() == "disabled"


def _default_deny(vault: VaultConfig) -> Tri:
    acls = _acls(vault)
    if isinstance(acls, Unknown):
        return acls
    action = acls.default_action
    if isinstance(action, Unknown):
        return action
    return action is not None and action.lower() == "deny"


@rule(
    id="KV-NET-01",
    name="PublicNetworkAccessDisabled",
    title="Public network access disabled",
    severity=Severity.HIGH,
    reads="properties.publicNetworkAccess",
    passes_when="`publicNetworkAccess` is `Disabled` (case-insensitive)",
    rationale=(
        "With public access disabled the vault answers only through private endpoints (and "
        "trusted services when bypass allows it), whatever the firewall rules say."
    ),
    remediation="az keyvault update --name {vault} --public-network-access Disabled",
    template_fix='"publicNetworkAccess": "Disabled"',
    references=(cis("8.3.7"), ap("405c5871"), checkov("CKV_AZURE_189 (weaker)"), _NET_DOC),
)
def public_access_disabled(vault: VaultConfig, options: PostureOptions) -> Outcome:
    value = vault.public_network_access
    if isinstance(value, Unknown):
        return unknown(f"publicNetworkAccess is {value}")
    if value is None:
        return fail("publicNetworkAccess is not set (Enabled)")
    if value.lower() == "disabled":
        return ok("publicNetworkAccess is Disabled")
    return fail(f"publicNetworkAccess is {value}")


@rule(
    id="KV-NET-02",
    name="FirewallDeniesByDefault",
    title="Firewall denies by default",
    severity=Severity.HIGH,
    reads="properties.networkAcls.defaultAction, properties.publicNetworkAccess",
    passes_when="`defaultAction` is `Deny`, or public network access is disabled",
    rationale=(
        "With `defaultAction: Allow` the vault accepts requests from any network, and every IP "
        "or virtual network rule is decoration."
    ),
    remediation="az keyvault update --name {vault} --default-action Deny",
    template_fix='"networkAcls": { "defaultAction": "Deny", "bypass": "None" }',
    references=(ap("55615ac9"), checkov("CKV_AZURE_109"), _NET_DOC),
)
def firewall_denies(vault: VaultConfig, options: PostureOptions) -> Outcome:
    disabled = _public_disabled(vault)
    deny = _default_deny(vault)
    if disabled is True:
        return ok("publicNetworkAccess is Disabled")
    if deny is True:
        return ok("networkAcls.defaultAction is Deny")
    if isinstance(disabled, Unknown):
        return unknown(f"publicNetworkAccess is {disabled}")
    if isinstance(deny, Unknown):
        return unknown(f"networkAcls.defaultAction is {deny}")
    return fail("networkAcls.defaultAction is Allow (or not set) and public access is enabled")


_PRIVATE = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)


def _ip_problem(rule_text: str, options: PostureOptions) -> str | Unknown | None:
    """Why an IP rule is over-broad, None when fine, Unknown when it cannot be parsed."""
    text = rule_text.strip()
    if text in ("*", "0.0.0.0/0", "0.0.0.0"):  # noqa: S104 (an IP rule, not a bind)
        return f"{text} admits every address"
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return Unknown(f"{text!r} is not an IP address or range")
    if not isinstance(network, ipaddress.IPv4Network):
        return Unknown(f"{text} is IPv6, which the Key Vault firewall does not take")
    if network.prefixlen < options.min_ip_prefix_length:
        return f"{text} is wider than /{options.min_ip_prefix_length}"
    if any(network.subnet_of(p) for p in _PRIVATE):
        return f"{text} is a private (RFC 1918) range, meaningless on the public firewall"
    return None


@rule(
    id="KV-NET-03",
    name="NoOverBroadIpRules",
    title="No over-broad IP rule",
    severity=Severity.HIGH,
    reads="properties.networkAcls.ipRules[]",
    passes_when=(
        "no `0.0.0.0/0`, `*`, or prefix shorter than /24 (configurable); no private (RFC 1918) "
        "ranges, which mean nothing on the public firewall"
    ),
    rationale=(
        "A wide IP rule opens the vault to a whole provider's address space; a private range "
        "suggests the author meant a virtual network rule or a private endpoint, and the "
        "vault is not protected the way they think."
    ),
    remediation=(
        "az keyvault network-rule remove --name {vault} --ip-address <range>; add the exact "
        "egress addresses (/32) instead, or use a private endpoint"
    ),
    template_fix='"ipRules": [ { "value": "203.0.113.7/32" } ]',
    references=(_NET_DOC,),
)
def no_broad_ip_rules(vault: VaultConfig, options: PostureOptions) -> Outcome:
    if _public_disabled(vault) is True:
        return na("publicNetworkAccess is Disabled: the IP rules are not used")
    acls = _acls(vault)
    if isinstance(acls, Unknown):
        return unknown(f"networkAcls is {acls}")
    rules = acls.ip_rules
    if isinstance(rules, Unknown):
        return unknown(f"ipRules: {rules}")
    allowed = {r.strip() for r in options.allowed_ip_rules}
    bad: list[str] = []
    unsure: Unknown | None = None
    for value in rules:
        if isinstance(value, Unknown):
            unsure = unsure or value
            continue
        if value is None or value.strip() in allowed:
            continue
        problem = _ip_problem(value, options)
        if isinstance(problem, Unknown):
            unsure = unsure or problem
        elif problem is not None:
            bad.append(problem)
    if bad:
        return fail("; ".join(bad))
    if unsure is not None:
        return unknown(f"an IP rule is {unsure}")
    return ok(f"{len(rules)} IP rule(s), none over-broad" if rules else "no IP rules")


@rule(
    id="KV-NET-04",
    name="NoRulesUnderDefaultAllow",
    title="No rules under default Allow",
    severity=Severity.MEDIUM,
    reads="properties.networkAcls.{defaultAction,ipRules,virtualNetworkRules}",
    passes_when="not (`defaultAction` Allow and rules non-empty): such rules restrict nothing",
    rationale=(
        "IP and virtual network rules only take effect under `defaultAction: Deny`. Rules "
        "under Allow give reviewers (and Checkov CKV_AZURE_189) a false sense of restriction."
    ),
    remediation="az keyvault update --name {vault} --default-action Deny",
    template_fix='"networkAcls": { "defaultAction": "Deny", "ipRules": [...] }',
    references=(_NET_DOC,),
)
def no_rules_under_allow(vault: VaultConfig, options: PostureOptions) -> Outcome:
    if _public_disabled(vault) is True:
        return na("publicNetworkAccess is Disabled: the firewall is not used")
    acls = _acls(vault)
    if isinstance(acls, Unknown):
        return unknown(f"networkAcls is {acls}")
    deny = _default_deny(vault)
    if deny is True:
        return ok("networkAcls.defaultAction is Deny")
    counts: list[int] = []
    for name, rules in (
        ("ipRules", acls.ip_rules),
        ("virtualNetworkRules", acls.virtual_network_rules),
    ):
        if isinstance(rules, Unknown):
            return unknown(f"{name}: {rules}")
        counts.append(len(rules))
    if not any(counts):
        return ok("no firewall rules")
    if isinstance(deny, Unknown):
        return unknown(f"networkAcls.defaultAction is {deny}")
    return fail(
        f"defaultAction is Allow with {counts[0]} IP rule(s) and {counts[1]} virtual network "
        "rule(s) that restrict nothing"
    )


@rule(
    id="KV-NET-05",
    name="TrustedServicesBypassJustified",
    title="Trusted-services bypass justified",
    severity=Severity.INFO,
    reads="properties.networkAcls.bypass",
    passes_when="`None`, or `AzureServices` with deny-by-default (or public access disabled)",
    rationale=(
        "`AzureServices` lets every trusted Microsoft service through the firewall; it is "
        "needed for some integrations (disk encryption, backup), and only means something "
        "when the firewall otherwise denies. The default when not set is AzureServices."
    ),
    remediation="az keyvault update --name {vault} --bypass None",
    template_fix='"networkAcls": { "bypass": "None" }',
    references=(
        seed("Allow trusted Microsoft Services"),
        learn("Trusted services", "general/overview-vnet-service-endpoints"),
    ),
)
def bypass_justified(vault: VaultConfig, options: PostureOptions) -> Outcome:
    acls = _acls(vault)
    if isinstance(acls, Unknown):
        return unknown(f"networkAcls is {acls}")
    bypass: Maybe[str] = acls.bypass
    if isinstance(bypass, Unknown):
        return unknown(f"bypass is {bypass}")
    effective = "AzureServices" if bypass is None else bypass
    if effective.lower() == "none":
        return ok("bypass is None")
    disabled, deny = _public_disabled(vault), _default_deny(vault)
    if disabled is True or deny is True:
        return ok(f"bypass is {effective} and the firewall otherwise denies")
    unsure = disabled if isinstance(disabled, Unknown) else deny
    if isinstance(unsure, Unknown):
        return unknown(f"bypass is {effective}; deny-by-default is {unsure}")
    return fail(f"bypass is {effective} and the firewall allows by default")


@rule(
    id="KV-NET-06",
    name="VirtualNetworkRulesSound",
    title="Virtual network rules sound",
    severity=Severity.LOW,
    reads="properties.networkAcls.virtualNetworkRules[]",
    passes_when="every rule has `ignoreMissingVnetServiceEndpoint` false",
    rationale=(
        "A rule that ignores a missing Microsoft.KeyVault service endpoint admits a subnet "
        "that cannot reach the vault privately; its traffic arrives from public addresses."
    ),
    remediation=(
        "az network vnet subnet update --service-endpoints Microsoft.KeyVault ...; then "
        "az keyvault network-rule add --name {vault} --subnet <subnet id>"
    ),
    template_fix=(
        '"virtualNetworkRules": [ { "id": "<subnet id>", '
        '"ignoreMissingVnetServiceEndpoint": false } ]'
    ),
    references=(ap("ea4d6841"), _NET_DOC),
)
def vnet_rules_sound(vault: VaultConfig, options: PostureOptions) -> Outcome:
    if _public_disabled(vault) is True:
        return na("publicNetworkAccess is Disabled: virtual network rules are not used")
    acls = _acls(vault)
    if isinstance(acls, Unknown):
        return unknown(f"networkAcls is {acls}")
    rules = acls.virtual_network_rules
    if isinstance(rules, Unknown):
        return unknown(f"virtualNetworkRules: {rules}")
    if not rules:
        return na("no virtual network rules")
    bad = [str(r.id) for r in rules if r.ignore_missing_vnet_service_endpoint is True]
    unsure = [r for r in rules if isinstance(r.ignore_missing_vnet_service_endpoint, Unknown)]
    if bad:
        return fail(f"{len(bad)} rule(s) ignore a missing service endpoint: {bad[0]}")
    if unsure:
        return unknown(
            f"ignoreMissingVnetServiceEndpoint is {unsure[0].ignore_missing_vnet_service_endpoint}"
        )
    return ok(f"{len(rules)} virtual network rule(s), all with service endpoints")


def _live_endpoints(vault: VaultConfig) -> tuple[list[str], Unknown | None] | Unknown:
    """Statuses of the connections that are not rejected or disconnected."""
    connections = vault.private_endpoint_connections
    if isinstance(connections, Unknown):
        return connections
    statuses: list[str] = []
    unsure: Unknown | None = None
    for c in connections:
        if isinstance(c.status, Unknown):
            unsure = unsure or c.status
        elif (c.status or "Pending").lower() not in ("rejected", "disconnected"):
            statuses.append(c.status or "Pending")
    return statuses, unsure


@rule(
    id="KV-NET-07",
    name="ApprovedPrivateEndpoint",
    title="Approved private endpoint present",
    severity=Severity.MEDIUM,
    reads="properties.privateEndpointConnections[].properties.privateLinkServiceConnectionState.status",
    passes_when="at least one connection is `Approved`",
    rationale=(
        "A private endpoint gives clients a path to the vault over the virtual network; only "
        "an Approved connection carries traffic (Pending and Rejected ones do not)."
    ),
    remediation=(
        "az network private-endpoint create --connection-name kv --group-id vault "
        "--private-connection-resource-id <vault id> ...; approve it with "
        "az keyvault private-endpoint-connection approve"
    ),
    template_fix=(
        'a "Microsoft.Network/privateEndpoints" resource with privateLinkServiceConnections '
        'to the vault (groupIds: ["vault"])'
    ),
    references=(cis("8.3.8"), ap("a6abeaec"), checkov("CKV2_AZURE_32"), _PL_DOC),
)
def approved_private_endpoint(vault: VaultConfig, options: PostureOptions) -> Outcome:
    connections = vault.private_endpoint_connections
    if isinstance(connections, Unknown):
        return unknown(f"private endpoint connections: {connections}")
    statuses = [c.status for c in connections]
    if any(isinstance(s, str) and s.lower() == "approved" for s in statuses):
        return ok("an Approved private endpoint connection")
    unsure = next((s for s in statuses if isinstance(s, Unknown)), None)
    if unsure is not None:
        return unknown(f"a connection status is {unsure}")
    if statuses:
        shown = ", ".join(s or "no status" for s in statuses if not isinstance(s, Unknown))
        return fail(f"no Approved connection ({shown})")
    return fail("no private endpoint connection")


@rule(
    id="KV-NET-08",
    name="PrivateEndpointWithoutPublicAccess",
    title="Private endpoint without public access",
    severity=Severity.HIGH,
    reads="private endpoint connections, properties.publicNetworkAccess",
    passes_when="a private endpoint implies public network access is disabled",
    rationale=(
        "Adding a private endpoint does not close the public endpoint: a vault with both is "
        "reachable from the internet, which is rarely what the endpoint's author intended."
    ),
    remediation="az keyvault update --name {vault} --public-network-access Disabled",
    template_fix='"publicNetworkAccess": "Disabled"',
    references=(prowler("keyvault_access_only_through_private_endpoints"), _PL_DOC),
)
def endpoint_without_public(vault: VaultConfig, options: PostureOptions) -> Outcome:
    found = _live_endpoints(vault)
    if isinstance(found, Unknown):
        return unknown(f"private endpoint connections: {found}")
    statuses, unsure = found
    if not statuses:
        if unsure is not None:
            return unknown(f"a connection status is {unsure}")
        return na("no private endpoint")
    disabled = _public_disabled(vault)
    if disabled is True:
        return ok("private endpoint present and publicNetworkAccess is Disabled")
    if isinstance(disabled, Unknown):
        return unknown(f"publicNetworkAccess is {disabled}")
    return fail(f"{len(statuses)} private endpoint(s), yet public network access is enabled")
