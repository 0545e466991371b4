"""The sales module."""
