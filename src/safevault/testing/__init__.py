"""Testing helpers: an in-process Key Vault that the real Azure SDK clients talk to."""
