"""Quickstart: store a secret with an enforced expiry, read it through the cache.

Runs against an in-process FakeVault, or against a real vault when SAFEVAULT_VAULT_URL is
set (with DefaultAzureCredential: `az login` is enough on a workstation).

    python examples/quickstart.py
"""

from __future__ import annotations

import os
from datetime import timedelta

import safevault
from safevault.testing import FakeVault


def open_vault() -> safevault.Vault:
    url = os.environ.get("SAFEVAULT_VAULT_URL")
    if url:
        return safevault.Vault(url)
    print("SAFEVAULT_VAULT_URL is not set: using an in-process FakeVault")
    return FakeVault().vault()


def main() -> None:
    with open_vault() as vault:
        created = vault.set_secret(
            "quickstart-db-password", "s3cr3t", expires_in=timedelta(days=90)
        )
        print("stored:", created)  # the repr never shows the value

        secret = vault.get_secret("quickstart-db-password")  # a miss: one request
        secret = vault.get_secret("quickstart-db-password")  # a hit: no request
        print("read:", secret.name, secret.version[:8], "expires", secret.expires_on)
        assert secret.value == "s3cr3t"

        try:
            vault.set_secret("quickstart-api-key", "x", expires_in=timedelta(days=1000))
        except safevault.ExpiryPolicyError as error:
            print("refused before any request:", error.message)


if __name__ == "__main__":
    main()
