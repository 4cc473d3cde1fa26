"""How a subcommand finds its vault: ``--vault`` (else the environment) and a credential."""

from __future__ import annotations

import argparse
import os
from typing import Any

from safevault.cli._common import EXIT_USAGE, CliError

__all__ = ["add_vault_arguments", "open_vault"]


def add_vault_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--vault",
        metavar="URL",
        help="the vault URL (default: $SAFEVAULT_VAULT_URL, then $AZURE_KEYVAULT_URL)",
    )
    parser.add_argument(
        "--allow-any-host",
        action="store_true",
        help="accept a vault host outside Key Vault's domains (emulators such as Lowkey "
        "Vault only; also skips the challenge resource check)",
    )


def open_vault(args: argparse.Namespace, **options: Any) -> Any:
    """A ``safevault.Vault`` for the parsed arguments (DefaultAzureCredential)."""
    from safevault import Vault

    url = (
        args.vault or os.environ.get("SAFEVAULT_VAULT_URL") or os.environ.get("AZURE_KEYVAULT_URL")
    )
    if not url:
        raise CliError(
            "safevault: no vault: pass --vault https://<name>.vault.azure.net or set "
            "SAFEVAULT_VAULT_URL",
            EXIT_USAGE,
        )
    if args.allow_any_host:
        options.setdefault("verify_challenge_resource", False)
    args.vault_url = url.strip()  # for error messages
    return Vault(args.vault_url, allow_any_host=bool(args.allow_any_host), **options)
