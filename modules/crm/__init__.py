"""The crm module."""
