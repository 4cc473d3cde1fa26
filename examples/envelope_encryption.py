"""Envelope encryption that survives key rotation.

Each `encrypt` makes a fresh AES-256-GCM data key, wraps it with the current version of a
Key Vault RSA key, and returns one self-describing blob. `decrypt` unwraps with exactly the
version recorded in the blob, so data written before any number of rotations still opens.

    python examples/envelope_encryption.py
"""

from __future__ import annotations

import os

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
        vault.create_key("example-orders-key")  # expiry and a rotation policy by default
        blob = vault.encrypt(
            "example-orders-key", b"card ending 4242", associated_data=b"order-1001"
        )
        print(f"ciphertext: {len(blob)} bytes")
        for _ in range(3):
            print("rotated to version", vault.rotate_key("example-orders-key").version[:8])
        plaintext = vault.decrypt(
            blob, key_name="example-orders-key", associated_data=b"order-1001"
        )
        print("decrypted after 3 rotations:", plaintext)
        assert plaintext == b"card ending 4242"
        try:
            vault.decrypt(blob, key_name="example-orders-key", associated_data=b"order-1002")
        except safevault.DecryptionError:
            print("a blob presented with the wrong associated data is refused")


if __name__ == "__main__":
    main()
