"""Calendar: events, attendees, reminders, feed secrets.

Revision ID: calendar_0001
Revises:
Create Date: 2026-11-26 22:05:05.765272
"""

import sqlalchemy as sa
from alembic import op

revision = 'calendar_0001'
down_revision = None
branch_labels = ('calendar',)
depends_on = 'core_0001'


def upgrade():
    op.create_table('calendar_feed_secret',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_calendar_feed_secret_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_feed_secret'))
    )
    op.create_table('calendar_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('all_day', sa.Boolean(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('related_type', sa.String(length=40), nullable=True),
    sa.Column('related_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'done', 'cancelled')", name=op.f('ck_calendar_event_status')),
    sa.CheckConstraint("type IN ('call', 'meeting', 'event', 'task')", name=op.f('ck_calendar_event_type')),
    sa.CheckConstraint('"end" >= start', name=op.f('ck_calendar_event_end_after_start')),
    sa.ForeignKeyConstraint(['contact_id'], ['core_contact.id'], name=op.f('fk_calendar_event_contact_id_core_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organizer_id'], ['core_user.id'], name=op.f('fk_calendar_event_organizer_id_core_user')),
    sa.ForeignKeyConstraint(['partner_id'], ['core_partner.id'], name=op.f('fk_calendar_event_partner_id_core_partner'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_event'))
    )
    with op.batch_alter_table('calendar_event', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_event_contact', ['contact_id', 'start'], unique=False)
        batch_op.create_index('ix_calendar_event_end', ['end'], unique=False)
        batch_op.create_index('ix_calendar_event_organizer', ['organizer_id', 'start'], unique=False)
        batch_op.create_index('ix_calendar_event_partner', ['partner_id', 'start'], unique=False)
        batch_op.create_index('ix_calendar_event_related', ['related_type', 'related_id'], unique=False)
        batch_op.create_index('ix_calendar_event_start', ['start'], unique=False)

    op.create_table('calendar_event_contact',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['core_contact.id'], name=op.f('fk_calendar_event_contact_contact_id_core_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['calendar_event.id'], name=op.f('fk_calendar_event_contact_event_id_calendar_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'contact_id', name=op.f('pk_calendar_event_contact'))
    )
    with op.batch_alter_table('calendar_event_contact', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_event_contact_contact', ['contact_id', 'event_id'], unique=False)

    op.create_table('calendar_event_user',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['calendar_event.id'], name=op.f('fk_calendar_event_user_event_id_calendar_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_calendar_event_user_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'user_id', name=op.f('pk_calendar_event_user'))
    )
    with op.batch_alter_table('calendar_event_user', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_event_user_user', ['user_id', 'event_id'], unique=False)

    op.create_table('calendar_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('offset_minutes', sa.Integer(), nullable=True),
    sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')", name=op.f('ck_calendar_reminder_state')),
    sa.CheckConstraint('offset_minutes IS NULL OR offset_minutes >= 0', name=op.f('ck_calendar_reminder_offset')),
    sa.ForeignKeyConstraint(['event_id'], ['calendar_event.id'], name=op.f('fk_calendar_reminder_event_id_calendar_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_calendar_reminder_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_reminder'))
    )
    with op.batch_alter_table('calendar_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_reminder_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_calendar_reminder_state_due', ['state', 'due_at'], unique=False)



def downgrade():
    with op.batch_alter_table('calendar_reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_reminder_state_due')
        batch_op.drop_index(batch_op.f('ix_calendar_reminder_event_id'))

    op.drop_table('calendar_reminder')
    with op.batch_alter_table('calendar_event_user', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_event_user_user')

    op.drop_table('calendar_event_user')
    with op.batch_alter_table('calendar_event_contact', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_event_contact_contact')

    op.drop_table('calendar_event_contact')
    with op.batch_alter_table('calendar_event', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_event_start')
        batch_op.drop_index('ix_calendar_event_related')
        batch_op.drop_index('ix_calendar_event_partner')
        batch_op.drop_index('ix_calendar_event_organizer')
        batch_op.drop_index('ix_calendar_event_end')
        batch_op.drop_index('ix_calendar_event_contact')

    op.drop_table('calendar_event')
    op.drop_table('calendar_feed_secret')
