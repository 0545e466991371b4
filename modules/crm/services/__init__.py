"""The CRM's business rules, shared by pages, API, CLI import, demo data and hooks."""
