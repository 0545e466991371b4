"""Test helpers for Comptoir and its plugins (the pytest plugin is ``pytest_plugin``)."""
