"""index for the calls and meetings per organizer (CRM dashboard)

Revision ID: calendar_0002
Revises: calendar_0001
Create Date: 2026-11-27 01:40:00
"""

from alembic import op

revision = 'calendar_0002'
down_revision = 'calendar_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calendar_event', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_event_type_organizer', ['type', 'organizer_id', 'start', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('calendar_event', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_event_type_organizer')
