"""Hook implementations of the calendar module."""

from core import hookimpl  # noqa: F401
from modules.calendar import models  # noqa: F401  (tables known to the metadata)
