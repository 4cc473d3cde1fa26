"""Value objects, policies, the Rotator base and its strategies: what safevault's API speaks in.

Imports nothing of safevault but ``safevault.errors``."""
