"""substring search on leads (name and company, email, city): FTS5 trigram on SQLite,
pg_trgm GIN indexes on PostgreSQL (core.search)

Revision ID: crm_0004
Revises: crm_0003
Create Date: 2026-11-27 01:50:00
"""

from core import search

revision = 'crm_0004'
down_revision = 'crm_0003'
branch_labels = None
depends_on = None

COLUMNS = {"name_search": "name_search", "email_lower": "email_lower", "city": "lower(city)"}


def upgrade():
    from alembic import op

    search.create_index(op, "crm_lead", COLUMNS)


def downgrade():
    from alembic import op

    search.drop_index(op, "crm_lead", COLUMNS)
