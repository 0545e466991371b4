"""Hook implementations of the sales module."""

from core import hookimpl  # noqa: F401
