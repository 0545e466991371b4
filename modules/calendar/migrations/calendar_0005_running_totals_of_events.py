"""running totals of events per organizer, type, status and month, kept by triggers

The CRM dashboard's activity per salesperson counted a year of calls and meetings (about
60,000 events at the benchmark's size) on each view; ``calendar_event_tally`` holds the
counts, kept exact by triggers (core.tally) and counted here from the existing events.

Revision ID: calendar_0005
Revises: calendar_0004
Create Date: 2026-11-27 07:00:00
"""

import sqlalchemy as sa
from alembic import op

from core import tally
from modules.calendar.models import EVENT_TALLY

revision = 'calendar_0005'
down_revision = 'calendar_0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_event_tally',
        sa.Column('organizer_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('type', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('organizer_id', 'type', 'status', 'month',
                                name=op.f('pk_calendar_event_tally')))
    tally.create(op, EVENT_TALLY)


def downgrade():
    tally.drop(op, EVENT_TALLY)
    op.drop_table('calendar_event_tally')
