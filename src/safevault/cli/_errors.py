"""Every error as one line on stderr, in the command line's own words, and its exit code.

========================================================  =====
what went wrong                                           exit
========================================================  =====
bad arguments, a bad vault URL or option, no vault set,   2
no credential available, an expiry the policy refuses
a read refused (expired, disabled, not yet valid), a      1
secret that does not exist, access denied, the vault
unreachable or failing, a rotation step that failed
========================================================  =====

``--debug`` adds the traceback. The messages never quote a value or a vault's error text
beyond its code and first line.
"""

from __future__ import annotations

import argparse

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from safevault._sdk._credential import is_credential_failure
from safevault.cli._common import EXIT_FINDINGS, EXIT_USAGE
from safevault.errors import (
    ExpiryPolicyError,
    InvalidArgumentError,
    RotationConflictError,
    RotationError,
    ValidityError,
    VaultConfigurationError,
)

__all__ = ["describe", "unexpected"]

# The library's words for an option -> the command line's
_CLI_WORDS = (
    ("pass an earlier expiry or raise max_lifetime", "pass a shorter --expires-in"),
    ("allow_any_host=True", "--allow-any-host"),
    ("allow_any_host", "--allow-any-host"),
    ("expires_in=", "--expires-in "),
    ("expires_in", "--expires-in"),
    ("pass expires_on=", "pass --expires-in"),
    ("ExpiryPolicy(on_read='warn')", "the library with ExpiryPolicy(on_read='warn')"),
    ("or set SAFEVAULT_VAULT_URL.", "or pass --vault / set SAFEVAULT_VAULT_URL."),
)
_KINDS = {"get": "secret", "set": "secret", "rotate": "secret"}


def _in_cli_words(message: str) -> str:
    for library, cli in _CLI_WORDS:
        message = message.replace(library, cli)
    return " ".join(message.split())  # one line


def _target(args: argparse.Namespace) -> str:
    """``secret 'db' in https://x.vault.azure.net``, as far as the arguments tell."""
    kind = _KINDS.get(getattr(args, "command", ""), "object")
    name = getattr(args, "name", None)
    vault = getattr(args, "vault_url", None) or getattr(args, "vault", None) or "the vault"
    return f"{kind} {name!r} in {vault}" if name else str(vault)


def _first_line(error: AzureError) -> str:
    text = (getattr(error, "message", None) or str(error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


def describe(error: BaseException, args: argparse.Namespace | None) -> tuple[str, int] | None:
    """The one-line message and exit code for ``error``; None for an unexpected error."""
    args = args or argparse.Namespace()
    if isinstance(error, (VaultConfigurationError, InvalidArgumentError, ExpiryPolicyError)):
        return f"safevault: {_in_cli_words(error.message)}", EXIT_USAGE
    if isinstance(error, ValidityError):
        return f"safevault: refused: {_in_cli_words(error.message)}", EXIT_FINDINGS
    if isinstance(error, RotationConflictError):
        return (
            f"safevault: rotation of {error.name!r} stopped: another rotation overlapped it; "
            "run rotations from one scheduler and try again",
            EXIT_FINDINGS,
        )
    if isinstance(error, RotationError):
        return f"safevault: {_in_cli_words(error.message)}", EXIT_FINDINGS
    if is_credential_failure(error):
        return (
            "safevault: no Azure credential could get a token: sign in with `az login`, or set "
            "AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET, or run where a managed "
            "identity is available (--debug shows each credential's attempt)",
            EXIT_USAGE,
        )
    if isinstance(error, ResourceNotFoundError):
        return (
            f"safevault: {_target(args)} was not found: check the name and the vault "
            "(a deleted secret can be recovered while soft delete keeps it)",
            EXIT_FINDINGS,
        )
    if isinstance(error, ClientAuthenticationError):
        return (
            f"safevault: the vault rejected the credential ({_first_line(error)}): check the "
            "tenant and the identity (`az account show`)",
            EXIT_FINDINGS,
        )
    if isinstance(error, HttpResponseError) and error.status_code == 403:
        return (
            f"safevault: access to {_target(args)} was denied ({_first_line(error)}): grant "
            "the identity a Key Vault data-plane role (e.g. Key Vault Secrets User) or an "
            "access policy",
            EXIT_FINDINGS,
        )
    if isinstance(error, (ServiceRequestError, ServiceResponseError)):
        vault = getattr(args, "vault_url", None) or getattr(args, "vault", None) or "the vault"
        return (
            f"safevault: could not reach {vault}: check the URL, the network and any proxy "
            "(HTTPS_PROXY), then try again",
            EXIT_FINDINGS,
        )
    if isinstance(error, HttpResponseError):
        status = error.status_code if error.status_code is not None else "an error"
        return (
            f"safevault: the vault answered {status} for {_target(args)}: {_first_line(error)}",
            EXIT_FINDINGS,
        )
    return None


def unexpected(error: BaseException) -> tuple[str, int]:
    """An error no rule above knows: its type only (its text may quote anything)."""
    return (
        f"safevault: failed with {type(error).__name__}; run again with --debug for the traceback",
        EXIT_FINDINGS,
    )
