"""substring search on partners (name, email, city): FTS5 trigram on SQLite, pg_trgm GIN
indexes on PostgreSQL (core.search)

The partner list's search box and the CRM's "similar company name" duplicate check (run on
every lead page) read every partner with LIKE '%text%' without it.

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-11-27 04:10:00
"""

from core import search

revision = 'core_0005'
down_revision = 'core_0004'
branch_labels = None
depends_on = None

COLUMNS = {"name_search": "name_search", "email": "lower(email)", "city": "lower(city)"}


def upgrade():
    from alembic import op

    search.create_index(op, "core_partner", COLUMNS)


def downgrade():
    from alembic import op

    search.drop_index(op, "core_partner", COLUMNS)
