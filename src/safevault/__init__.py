"""safevault: Azure Key Vault, safe by default."""

from safevault._version import __version__

__all__ = ["__version__"]
