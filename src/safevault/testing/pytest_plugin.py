"""pytest plugin (entry point ``pytest11``): the ``fake_vault`` fixture."""
