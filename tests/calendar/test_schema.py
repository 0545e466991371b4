"""The calendar's migrations produce exactly its models' schema (SQLite and PostgreSQL)."""

from core.db import db
from core.testing import schema_diff


def test_migration_matches_models(app):
    assert schema_diff(db.engine, db.metadata, "calendar_") == []
