"""The calendar module."""
