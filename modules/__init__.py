"""Comptoir's built-in business modules (each one is also an entry point in
``comptoir.modules``, exactly like a third-party plugin)."""
