"""Hook implementations of the crm module."""

from core import hookimpl  # noqa: F401
