"""Hook implementations of the calendar module."""

from core import hookimpl  # noqa: F401
