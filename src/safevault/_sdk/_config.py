"""Vault URL checks and the keyword arguments every SDK client is built with."""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from safevault._sdk._redact import RedactionPolicy
from safevault._sdk._requests import RequestTelemetryPolicy
from safevault.errors import InvalidArgumentError, VaultConfigurationError

__all__ = ["VaultLocation", "check_client_keywords", "client_options", "locate_vault"]

# DNS suffix of a cloud's vaults -> the only token scope safevault ever asks for there.
_CLOUD_SCOPES: Mapping[str, str] = {
    ".vault.azure.net": "https://vault.azure.net/.default",
    ".vault.azure.cn": "https://vault.azure.cn/.default",
    ".vault.usgovcloudapi.net": "https://vault.usgovcloudapi.net/.default",
}
_PUBLIC_SCOPE = "https://vault.azure.net/.default"
# Managed HSM speaks another token audience (https://managedhsm.azure.net): out of scope.
_MANAGED_HSM_SUFFIXES = (
    ".managedhsm.azure.net",
    ".managedhsm.azure.cn",
    ".managedhsm.usgovcloudapi.net",
)

# The whole grammar a vault URL may have: https://HOST[:PORT][/]. Every character outside it
# (backslash, percent-encoding, userinfo, whitespace, controls, non-ASCII ...) is refused
# before any parser sees the URL, so the host checked here is the host every HTTP stack
# (requests/urllib3, aiohttp/yarl) connects to: they cannot disagree on this subset.
_URL = re.compile(
    r"https://(?P<host>[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?/?",
    re.IGNORECASE | re.ASCII,
)
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)

# Reads must not amplify a throttling storm: the cache backs off per object and serves the
# last good value, so the SDK itself retries little, never waits long, never retries 429
# without a Retry-After, and never retries a 4xx that merely carries Retry-After.
RETRY_DEFAULTS: Mapping[str, Any] = {
    "retry_total": 2,
    "retry_connect": 1,
    "retry_read": 1,
    "retry_status": 1,
    "retry_backoff_factor": 0.5,
    "retry_backoff_max": 4,
}
RETRY_AFTER_MAX = 5.0


@dataclass(frozen=True)
class VaultLocation:
    """A checked vault URL: ``url`` without trailing slash, its ``host`` and token ``scope``."""

    url: str
    host: str
    scope: str


def locate_vault(vault_url: object, *, allow_any_host: bool = False) -> VaultLocation:
    """Check a vault URL; refuse anything but ``https://<name>.vault.<cloud suffix>``.

    The URL must be exactly ``https://HOST[:PORT][/]`` with a host made of DNS labels (or, for
    an emulator, an IP address): the host compared with Key Vault's DNS suffixes is then the
    host the transport connects to, whatever its URL parser.

    :raises VaultConfigurationError: not https, anything besides scheme, host, port and one
        trailing slash, a character a hostname cannot hold, a Managed HSM host, or a host
        outside Key Vault's DNS suffixes while ``allow_any_host`` is False.
    """
    if not isinstance(vault_url, str) or not vault_url.strip():
        raise VaultConfigurationError(
            "No vault URL: pass e.g. 'https://myvault.vault.azure.net', or set SAFEVAULT_VAULT_URL."
        )
    text = vault_url.strip()
    if not text.isascii() or not text.isprintable():
        raise VaultConfigurationError(
            "The vault URL holds a character a URL cannot (whitespace, a control or non-ASCII "
            "character): use https://<name>.vault.azure.net"
        )
    if not text.lower().startswith("https://"):
        scheme = text.split("://", 1)[0] if "://" in text else "no"
        raise VaultConfigurationError(
            f"The vault URL must start with https:// (got {_shown(scheme, 10)} scheme); "
            "Key Vault only speaks TLS."
        )
    match = _URL.fullmatch(text)
    if match is None:
        raise VaultConfigurationError(_grammar_problem(text[len("https://") :]))
    host = match["host"].lower()
    port = int(match["port"]) if match["port"] is not None else None
    if port is not None and not 1 <= port <= 65535:
        raise VaultConfigurationError(
            f"The vault URL's port {port} is out of range: use 1-65535, or leave it out (443)."
        )
    ip = _ip_literal(host)
    if ip is None and not _is_dns_name(host):
        raise VaultConfigurationError(
            "The vault URL's host is not a DNS name: each dot-separated label needs 1-63 "
            "letters, digits or inner hyphens (e.g. https://myvault.vault.azure.net)."
        )
    if any(host.endswith(suffix) for suffix in _MANAGED_HSM_SUFFIXES):
        raise VaultConfigurationError(
            "Managed HSM is not supported: its tokens are for another audience "
            "(https://managedhsm.azure.net) and its API differs. Use the azure-keyvault-keys "
            "clients for a Managed HSM; safevault serves *.vault.azure.net vaults."
        )
    scope = None if ip is not None else _cloud_scope(host)
    if scope is None:
        if not allow_any_host:
            raise VaultConfigurationError(
                f"{host!r} is not a Key Vault host: use https://<vault name>.vault.azure.net "
                "(or .vault.azure.cn, .vault.usgovcloudapi.net). For an emulator pass "
                "allow_any_host=True."
            )
        scope = _PUBLIC_SCOPE
    netloc = host if port in (None, 443) else f"{host}:{port}"
    return VaultLocation(url=f"https://{netloc}", host=host, scope=scope)


def _shown(text: str, limit: int) -> str:
    """``text`` quoted for a message, if short and plain; else only its length."""
    if len(text) <= limit and all(c.isalnum() or c in "-." for c in text):
        return repr(text)
    return f"a {len(text)}-character"


def _grammar_problem(rest: str) -> str:
    """Why the part after ``https://`` is not ``HOST[:PORT][/]``: the first thing in the way."""
    if "@" in rest:
        return "The vault URL must not carry credentials (user@host): use https://<name>.vault.azure.net"
    if "%" in rest:
        return "The vault URL must not be percent-encoded: use https://<name>.vault.azure.net"
    if "\\" in rest:
        return "The vault URL must not contain a backslash: use https://<name>.vault.azure.net"
    head = re.split(r"[/?#]", rest, maxsplit=1)
    if len(head) > 1 and head[1:] != [""]:
        return (
            "The vault URL must be the vault's root, like https://myvault.vault.azure.net "
            "(no path, query or fragment)."
        )
    if not head[0] or head[0].startswith((".", ":")):
        return "The vault URL has no host: use https://<name>.vault.azure.net"
    return (
        "The vault URL's host holds a character a hostname cannot (only letters, digits, '-' "
        "and '.' are allowed, then an optional :port): use https://<name>.vault.azure.net"
    )


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ip = ipaddress.ip_address(literal)
    except ValueError:
        if host.startswith("["):
            raise VaultConfigurationError(
                "The vault URL's bracketed host is not an IPv6 address."
            ) from None
        return None
    if isinstance(ip, ipaddress.IPv6Address) and not host.startswith("["):
        return None  # unreachable: ':' cannot pass the grammar outside brackets
    if isinstance(ip, ipaddress.IPv4Address) and host.startswith("["):
        raise VaultConfigurationError("The vault URL's bracketed host is not an IPv6 address.")
    return ip


def _is_dns_name(host: str) -> bool:
    return len(host) <= 253 and all(_LABEL.fullmatch(label) for label in host.split("."))


def _cloud_scope(host: str) -> str | None:
    """The token scope of a ``<one DNS label>.<Key Vault suffix>`` host, else None."""
    for suffix, scope in _CLOUD_SCOPES.items():
        if host.endswith(suffix):
            label = host[: -len(suffix)]
            if _LABEL.fullmatch(label):  # exactly one label: the vault's name
                return scope
    return None


# Keyword arguments a Vault passes through to the SDK clients it builds: the Key Vault
# clients' own, azure-core's transports' and pipeline policies' (read from their sources:
# KeyVaultClientBase, PipelineClient._build_pipeline, the policies' and transports' __init__).
PASS_THROUGH: frozenset[str] = frozenset(
    {
        # Key Vault clients
        "api_version",
        "verify_challenge_resource",
        "polling_interval",
        # transports
        "transport",
        "connection_timeout",
        "read_timeout",
        "connection_verify",
        "connection_cert",
        "connection_data_block_size",
        "session",
        "session_owner",
        "use_env_settings",
        # pipeline policies and their settings
        "per_call_policies",
        "per_retry_policies",
        "headers",
        "base_headers",
        "headers_policy",
        "request_id",
        "auto_request_id",
        "request_id_header_name",
        "user_agent",
        "base_user_agent",
        "user_agent_overwrite",
        "user_agent_use_env",
        "user_agent_policy",
        "proxies",
        "proxy_policy",
        "permit_redirects",
        "redirect_max",
        "redirect_on_status_codes",
        "redirect_remove_headers",
        "redirect_policy",
        "blocked_redirect_headers",
        "disable_redirect_cleanup",
        "retry_total",
        "retry_connect",
        "retry_read",
        "retry_status",
        "retry_backoff_factor",
        "retry_backoff_max",
        "retry_mode",
        "retry_on_status_codes",
        "timeout",
        "retry_policy",
        "raw_request_hook",
        "raw_response_hook",
        "custom_hook_policy",
        "logging_enable",
        "logger",
        "http_logging_level",
        "additional_allowed_query_params",
        "network_span_namer",
        "tracing_attributes",
        "instrumentation_config",
    }
)
# Keywords the SDK accepts but safevault must set itself: the authentication policy (only
# the Key Vault scope is ever requested) and the two logging policies (secret values).
_REFUSED = {
    "authentication_policy": "safevault installs its own authentication (only the Key Vault "
    "token scope is ever requested); pass a credential instead",
    "logging_policy": "azure-core's network trace would log secret values and bearer tokens",
    "http_logging_policy": "the Key Vault clients install their own redacting HTTP logging policy",
    "policies": "safevault builds the pipeline; add policies with per_call_policies or "
    "per_retry_policies",
}


def check_client_keywords(given: Iterable[str], own: Iterable[str]) -> None:
    """Refuse a keyword that neither safevault (``own``) nor the SDK clients accept.

    :raises TypeError: an unknown keyword, naming the closest valid one.
    :raises InvalidArgumentError: a keyword the SDK accepts but safevault must control.
    """
    valid = set(own) | PASS_THROUGH
    for keyword in given:
        if keyword in _REFUSED:
            raise InvalidArgumentError(f"{keyword}= is refused: {_REFUSED[keyword]}.")
        if keyword not in valid:
            close = difflib.get_close_matches(keyword, sorted(valid), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}=? " if close else ""
            raise TypeError(
                f"Vault() got an unexpected keyword argument {keyword!r}: {hint}It is neither "
                "a safevault option nor a keyword the Azure SDK clients accept (see "
                "'Pass-through keywords' in the Vault documentation)."
            )


def client_options(client_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments passed to every SDK client: the caller's, over safe defaults,
    with safevault's outermost pipeline policies (redaction, request telemetry) first.

    :raises InvalidArgumentError: ``logging_enable=True`` (azure-core's network trace logs
        request and response bodies, i.e. secret values, and the Authorization header).
    """
    if client_kwargs.get("logging_enable"):
        raise InvalidArgumentError(
            "logging_enable=True is refused: azure-core's network trace would log secret "
            "values and bearer tokens. Use safevault's spans, or HttpLoggingPolicy's "
            "redacted headers, instead."
        )
    options = dict(RETRY_DEFAULTS)
    options.update(client_kwargs)
    options.pop("logging_enable", None)
    given = options.get("per_call_policies") or []
    if not isinstance(given, (list, tuple)):
        given = [given]
    # outermost: once a call's retries are over, time it, and strip its body and token
    options["per_call_policies"] = [RedactionPolicy(), RequestTelemetryPolicy(), *given]
    return options
