"""Rules on the vault's contents: KV-OBJ (expiry, rotation, key strength, certificates).

Objects that back a certificate (``managed``) are judged through the certificate rules.
A template declares keys and secrets (never certificates), so from a template the
certificate rules are NOT_APPLICABLE; ``az keyvault show`` has no objects at all (UNKNOWN).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeAlias

from safevault.posture._findings import Outcome, Severity
from safevault.posture._model import CertificateItem, KeyItem, SecretItem, VaultConfig
from safevault.posture._options import PostureOptions
from safevault.posture._refs import ap, checkov, cis, learn
from safevault.posture._rule import fail, na, ok, rule, unknown
from safevault.posture._values import Unknown

__all__ = ["Item", "Problem", "judge"]

Item: TypeAlias = KeyItem | SecretItem | CertificateItem
Problem: TypeAlias = str | Unknown | None

_ROTATION_DOC = learn("Configure key auto-rotation", "keys/how-to-configure-key-rotation")
_CERT_DOC = learn("Certificate renewal", "certificates/overview-renew-certificate")


def _label(item: Item) -> str:
    return item.name if isinstance(item.name, str) else "(unresolved name)"


def judge(
    items: Sequence[Item] | Unknown,
    noun: str,
    problem: Callable[[Item], Problem],
    good: str,
) -> Outcome:
    if isinstance(items, Unknown):
        return unknown(f"{noun}: {items}")
    bad: list[str] = []
    unsure: Unknown | None = None
    count = 0
    for item in items:
        if getattr(item, "managed", False) or item.enabled is False:
            continue
        count += 1
        found = problem(item)
        if isinstance(found, Unknown):
            unsure = unsure or found
        elif found is not None:
            if isinstance(item.enabled, Unknown):
                unsure = unsure or item.enabled
            else:
                bad.append(f"{_label(item)}: {found}")
    if bad:
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        return fail(f"{len(bad)} of {count} enabled {noun}: {'; '.join(bad[:3])}{more}")
    if unsure is not None:
        return unknown(f"{unsure.reason}")
    if count == 0:
        return na(f"no enabled {noun}")
    return ok(f"{count} enabled {noun}, {good}")


def _has_expiry(item: Item) -> Problem:
    if isinstance(item.expires, Unknown):
        return item.expires
    return None if item.expires is not None else "no expiry date"


@rule(
    id="KV-OBJ-01",
    name="KeysHaveExpiry",
    title="Keys have an expiry",
    severity=Severity.MEDIUM,
    reads="key attributes.exp",
    passes_when="set, for every enabled key",
    rationale=(
        "A key without an expiry date is used forever; an expiry forces rotation to be "
        "planned and limits how long a leaked key stays useful."
    ),
    remediation="az keyvault key set-attributes --vault-name {vault} --name <key> --expires <date>",
    template_fix='"attributes": { "exp": 1767225600 }',
    references=(cis("8.3.1/8.3.2"), ap("152b15f7"), checkov("CKV_AZURE_40")),
)
def keys_expire(vault: VaultConfig, options: PostureOptions) -> Outcome:
    return judge(vault.keys, "keys", _has_expiry, "all with an expiry date")


@rule(
    id="KV-OBJ-02",
    name="SecretsHaveExpiry",
    title="Secrets have an expiry",
    severity=Severity.MEDIUM,
    reads="secret attributes.exp",
    passes_when="set, for every enabled secret",
    rationale=(
        "A secret without an expiry date is never rotated by design; Key Vault does not even "
        "refuse reads of expired secrets (safevault does)."
    ),
    remediation=(
        "az keyvault secret set-attributes --vault-name {vault} --name <secret> --expires <date>"
    ),
    template_fix='"attributes": { "exp": 1767225600 }',
    references=(cis("8.3.3/8.3.4"), ap("98728c90"), checkov("CKV_AZURE_41")),
)
def secrets_expire(vault: VaultConfig, options: PostureOptions) -> Outcome:
    return judge(vault.secrets, "secrets", _has_expiry, "all with an expiry date")


def _lifetime(options: PostureOptions) -> Callable[[Item], Problem]:
    now = options.current_time()
    limit = timedelta(days=options.max_lifetime_days)

    def problem(item: Item) -> Problem:
        expires = item.expires
        if isinstance(expires, Unknown):
            return expires
        if expires is None:
            return None
        if expires <= now:
            return f"expired on {expires:%Y-%m-%d} but still enabled"
        created = item.created
        if isinstance(created, Unknown):
            return created
        start: datetime = created if created is not None else now
        if expires - start > limit:
            days = (expires - start).days
            return f"lives {days} days (> {options.max_lifetime_days})"
        return None

    return problem


@rule(
    id="KV-OBJ-03",
    name="NoExpiredOrOverlongObjects",
    title="No expired object left enabled; none beyond max lifetime",
    severity=Severity.LOW,
    reads="attributes.exp, attributes.created of keys, secrets and certificates",
    passes_when=(
        "no enabled object is past its expiry, and `exp - created` <= the maximum lifetime "
        "(365 days, configurable; from a template, created is the deployment time)"
    ),
    rationale=(
        "An expired object left enabled is either still in use (an outage or a stale "
        "credential waiting to happen) or forgotten; a far-away expiry defeats the purpose."
    ),
    remediation=(
        "az keyvault secret set-attributes --vault-name {vault} --name <name> --enabled false "
        "(or rotate it and set a nearer --expires)"
    ),
    template_fix='"attributes": { "exp": <epoch seconds within the maximum lifetime> }',
    references=(ap("342e8053"), ap("49a22571")),
)
def no_expired_or_overlong(vault: VaultConfig, options: PostureOptions) -> Outcome:
    groups: list[Sequence[Item] | Unknown] = [vault.keys, vault.secrets, vault.certificates]
    unknown_group = next((g for g in groups if isinstance(g, Unknown)), None)
    items: list[Item] = [i for g in groups if not isinstance(g, Unknown) for i in g]
    outcome = judge(items, "objects", _lifetime(options), "none expired or beyond max lifetime")
    if unknown_group is not None and outcome.verdict.value in ("PASS", "NOT_APPLICABLE"):
        return unknown(f"objects: {unknown_group}")
    return outcome


def _content_type(item: Item) -> Problem:
    assert isinstance(item, SecretItem)
    value = item.content_type
    if isinstance(value, Unknown):
        return value
    return None if value and value.strip() else "no content type"


@rule(
    id="KV-OBJ-06",
    name="SecretsDeclareContentType",
    title="Secrets declare a content type",
    severity=Severity.LOW,
    reads="secret contentType",
    passes_when="non-empty",
    rationale=(
        "A content type (`password`, `connection-string`, `application/x-pkcs12`) tells the "
        "next person, and rotation tooling, what the secret is and how to replace it."
    ),
    remediation=(
        "az keyvault secret set-attributes --vault-name {vault} --name <secret> "
        "--content-type <type>"
    ),
    template_fix='"contentType": "password"',
    references=(ap("75262d3e"), checkov("CKV_AZURE_114")),
)
def secrets_content_type(vault: VaultConfig, options: PostureOptions) -> Outcome:
    return judge(vault.secrets, "secrets", _content_type, "all with a content type")


@rule(
    id="KV-OBJ-07",
    name="CertificateValidityAtMost12Months",
    title="Certificates valid for at most 12 months",
    severity=Severity.MEDIUM,
    reads="certificate policy x509CertificateProperties.validityInMonths",
    passes_when="<= 12 (configurable)",
    rationale=(
        "Short-lived certificates limit the damage of a leaked private key and keep renewal "
        "a routine operation; public CAs are moving to far shorter lifetimes."
    ),
    remediation=(
        "az keyvault certificate set-attributes --vault-name {vault} --name <cert> --policy "
        "@policy.json (with validityInMonths 12)"
    ),
    template_fix="(certificates are not ARM resources: set the policy when creating them)",
    references=(cis("8.3.11"), ap("0a075868"), _CERT_DOC),
)
def certificate_validity(vault: VaultConfig, options: PostureOptions) -> Outcome:
    limit = options.max_certificate_validity_months

    def problem(item: Item) -> Problem:
        assert isinstance(item, CertificateItem)
        months = item.validity_in_months
        if isinstance(months, Unknown):
            return months
        if months is None:
            return Unknown("the certificate policy gives no validity")
        return f"valid for {months} months (> {limit})" if months > limit else None

    return judge(vault.certificates, "certificates", problem, f"all valid <= {limit} months")


def _auto_renew(item: Item) -> Problem:
    assert isinstance(item, CertificateItem)
    actions = item.lifetime_actions
    if isinstance(actions, Unknown):
        return actions
    kinds = [a.action for a in actions]
    if any(isinstance(k, str) and k.lower() == "autorenew" for k in kinds):
        return None
    unsure = next((k for k in kinds if isinstance(k, Unknown)), None)
    return unsure if unsure is not None else "no AutoRenew lifetime action"


@rule(
    id="KV-OBJ-08",
    name="CertificatesAutoRenew",
    title="Certificates renew automatically",
    severity=Severity.MEDIUM,
    reads="certificate policy lifetimeActions[]",
    passes_when="an `AutoRenew` action",
    rationale=(
        "Certificates that renew themselves (self-signed or from an integrated CA) do not "
        "expire in production because a reminder email went unread."
    ),
    remediation=(
        "az keyvault certificate set-attributes --vault-name {vault} --name <cert> --policy "
        "@policy.json (lifetimeActions: AutoRenew at 80% of the lifetime)"
    ),
    template_fix="(certificates are not ARM resources: set the policy when creating them)",
    references=(ap("12ef42cb"), _CERT_DOC),
)
def certificates_renew(vault: VaultConfig, options: PostureOptions) -> Outcome:
    return judge(vault.certificates, "certificates", _auto_renew, "all renewing automatically")
