"""core tables

Revision ID: core_0001
Revises: 
Create Date: 2026-11-26 21:59:29.841845
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0001'
down_revision = None
branch_labels = ('core',)
depends_on = None


def upgrade():

    op.create_table('core_meta',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_core_meta'))
    )
    op.create_table('core_module',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('installed_version', sa.String(length=40), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_core_module'))
    )
    op.create_table('core_sequence',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_core_sequence'))
    )
    op.create_table('core_setting',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_core_setting'))
    )
    op.create_table('core_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('timezone', sa.String(length=60), nullable=True),
    sa.Column('session_nonce', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'manager', 'salesperson')", name=op.f('ck_core_user_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_user')),
    sa.UniqueConstraint('email', name=op.f('uq_core_user_email'))
    )
    op.create_table('core_api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_api_token_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_core_api_token_token_hash'))
    )
    with op.batch_alter_table('core_api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('core_notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('key', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_notification_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_notification')),
    sa.UniqueConstraint('key', name=op.f('uq_core_notification_key'))
    )
    with op.batch_alter_table('core_notification', schema=None) as batch_op:
        batch_op.create_index('ix_core_notification_user_read', ['user_id', 'read_at', 'id'], unique=False)

    op.create_table('core_partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('partner_type', sa.String(length=12), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('phone_normalized', sa.String(length=20), nullable=True),
    sa.Column('website', sa.String(length=250), nullable=True),
    sa.Column('street', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('salesperson_id', sa.Integer(), nullable=True),
    sa.Column('name_search', sa.String(length=200), nullable=False),
    sa.Column('email_domain', sa.String(length=254), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('company', 'individual')", name=op.f('ck_core_partner_kind')),
    sa.CheckConstraint("partner_type IN ('prospect', 'customer')", name=op.f('ck_core_partner_partner_type')),
    sa.ForeignKeyConstraint(['salesperson_id'], ['core_user.id'], name=op.f('fk_core_partner_salesperson_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_partner'))
    )
    with op.batch_alter_table('core_partner', schema=None) as batch_op:
        batch_op.create_index('ix_core_partner_email', ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_partner_email_domain'), ['email_domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_partner_name_search'), ['name_search'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_partner_phone_normalized'), ['phone_normalized'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_partner_salesperson_id'), ['salesperson_id'], unique=False)
        batch_op.create_index('ix_core_partner_type_name', ['partner_type', 'name_search'], unique=False)

    op.create_table('core_timeline_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_timeline_entry_user_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_timeline_entry'))
    )
    with op.batch_alter_table('core_timeline_entry', schema=None) as batch_op:
        batch_op.create_index('ix_core_timeline_record', ['record_type', 'record_id', 'at'], unique=False)

    op.create_table('core_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('phone_normalized', sa.String(length=20), nullable=True),
    sa.Column('job_title', sa.String(length=120), nullable=True),
    sa.Column('name_search', sa.String(length=220), nullable=False),
    sa.Column('email_domain', sa.String(length=254), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['core_partner.id'], name=op.f('fk_core_contact_partner_id_core_partner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_contact'))
    )
    with op.batch_alter_table('core_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_contact_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_contact_email_domain'), ['email_domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_contact_name_search'), ['name_search'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_contact_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_contact_phone_normalized'), ['phone_normalized'], unique=False)




def downgrade():

    with op.batch_alter_table('core_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_contact_phone_normalized'))
        batch_op.drop_index(batch_op.f('ix_core_contact_partner_id'))
        batch_op.drop_index(batch_op.f('ix_core_contact_name_search'))
        batch_op.drop_index(batch_op.f('ix_core_contact_email_domain'))
        batch_op.drop_index(batch_op.f('ix_core_contact_email'))

    op.drop_table('core_contact')
    with op.batch_alter_table('core_timeline_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_core_timeline_record')

    op.drop_table('core_timeline_entry')
    with op.batch_alter_table('core_partner', schema=None) as batch_op:
        batch_op.drop_index('ix_core_partner_type_name')
        batch_op.drop_index(batch_op.f('ix_core_partner_salesperson_id'))
        batch_op.drop_index(batch_op.f('ix_core_partner_phone_normalized'))
        batch_op.drop_index(batch_op.f('ix_core_partner_name_search'))
        batch_op.drop_index(batch_op.f('ix_core_partner_email_domain'))
        batch_op.drop_index('ix_core_partner_email')

    op.drop_table('core_partner')
    with op.batch_alter_table('core_notification', schema=None) as batch_op:
        batch_op.drop_index('ix_core_notification_user_read')

    op.drop_table('core_notification')
    with op.batch_alter_table('core_api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_api_token_user_id'))

    op.drop_table('core_api_token')
    op.drop_table('core_user')
    op.drop_table('core_setting')
    op.drop_table('core_sequence')
    op.drop_table('core_module')
    op.drop_table('core_meta')

