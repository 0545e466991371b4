"""GiST index on the events' period (PostgreSQL only): the calendar window's overlap

SQLite keeps its B-tree on start. The index is the migration's own (core.search names
``*_gist`` as such: schema comparisons skip it).

Revision ID: calendar_0003
Revises: calendar_0002
Create Date: 2026-11-27 02:20:00
"""

from alembic import op

revision = 'calendar_0003'
down_revision = 'calendar_0002'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute('CREATE INDEX ix_calendar_event_period_gist ON calendar_event '
                   'USING gist (tstzrange(start, "end", \'[]\'))')


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_calendar_event_period_gist")
