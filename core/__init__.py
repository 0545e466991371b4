"""Comptoir: a modular CRM and sales platform on Flask.

``create_app`` builds the application; ``hookimpl`` marks a module's hook implementations.
"""

__version__ = "0.1.0"

from core.plugins import hookimpl, hookspec  # noqa: E402


def create_app(config=None):
    from core.app import create_app as _create_app

    return _create_app(config)


__all__ = ["__version__", "create_app", "hookimpl", "hookspec"]
