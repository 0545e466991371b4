"""The suite's fixtures come from Comptoir's own pytest plugin (core.testing.pytest_plugin),
the same one plugin authors use."""
