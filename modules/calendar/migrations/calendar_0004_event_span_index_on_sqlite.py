"""index on the events' length (SQLite only): the calendar window's overlap

A B-tree on start bounds an overlap on one side only: a salesperson's week walked every
event they ever organized. Knowing the longest event (this index gives it at once), the
window also bounds start from below. PostgreSQL has its GiST period index (calendar_0003).
The index is the migration's own (core.search names ``*_sqlite`` as such).

Revision ID: calendar_0004
Revises: calendar_0003
Create Date: 2026-11-27 04:10:00
"""

from alembic import op

revision = 'calendar_0004'
down_revision = 'calendar_0003'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute('CREATE INDEX ix_calendar_event_span_sqlite ON calendar_event '
                   '((julianday("end") - julianday(start)))')


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_calendar_event_span_sqlite")
