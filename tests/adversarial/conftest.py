"""The adversarial tests share the Vault behaviour tests' fixtures: a FakeVault, and Vaults of
both flavours on it (``make_vault``)."""

from vault.conftest import fake, flavor, loop_thread, make_vault

__all__ = ["fake", "flavor", "loop_thread", "make_vault"]
