"""The CRM's migration produces exactly its models' tables."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import db


def test_migration_matches_models(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    crm = [d for d in diff if "crm_" in repr(d)]
    assert crm == []
