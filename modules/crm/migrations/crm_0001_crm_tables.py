"""crm tables

Revision ID: crm_0001
Revises: 
Create Date: 2026-11-26 22:04:50.831672
"""

import sqlalchemy as sa
from alembic import op

revision = 'crm_0001'
down_revision = None
branch_labels = ('crm',)
depends_on = 'core_0001'


def upgrade():
    op.create_table('crm_lead_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_lead_source')),
    sa.UniqueConstraint('code', name=op.f('uq_crm_lead_source_code')),
    sa.UniqueConstraint('name', name=op.f('uq_crm_lead_source_name'))
    )
    op.create_table('crm_lost_reason',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_lost_reason')),
    sa.UniqueConstraint('name', name=op.f('uq_crm_lost_reason_name'))
    )
    op.create_table('crm_opportunity_stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('is_won', sa.Boolean(), nullable=False),
    sa.Column('is_lost', sa.Boolean(), nullable=False),
    sa.CheckConstraint('probability BETWEEN 0 AND 100', name=op.f('ck_crm_opportunity_stage_probability')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_opportunity_stage')),
    sa.UniqueConstraint('name', name=op.f('uq_crm_opportunity_stage_name'))
    )
    with op.batch_alter_table('crm_opportunity_stage', schema=None) as batch_op:
        batch_op.create_index('ix_crm_opportunity_stage_sequence', ['sequence'], unique=False)

    op.create_table('crm_lead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('company_name', sa.String(length=200), nullable=True),
    sa.Column('job_title', sa.String(length=120), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('mobile', sa.String(length=40), nullable=True),
    sa.Column('website', sa.String(length=250), nullable=True),
    sa.Column('street', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('assigned_to', sa.Integer(), nullable=True),
    sa.Column('lost_reason_id', sa.Integer(), nullable=True),
    sa.Column('lost_note', sa.String(length=2000), nullable=True),
    sa.Column('recycled', sa.Boolean(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('converted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('name_search', sa.String(length=420), nullable=False),
    sa.Column('email_lower', sa.String(length=254), nullable=True),
    sa.Column('email_domain', sa.String(length=254), nullable=True),
    sa.Column('phone_normalized', sa.String(length=20), nullable=True),
    sa.Column('mobile_normalized', sa.String(length=20), nullable=True),
    sa.Column('company_key', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('new', 'assigned', 'in_progress', 'converted', 'lost')", name=op.f('ck_crm_lead_status')),
    sa.ForeignKeyConstraint(['assigned_to'], ['core_user.id'], name=op.f('fk_crm_lead_assigned_to_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['core_contact.id'], name=op.f('fk_crm_lead_contact_id_core_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lost_reason_id'], ['crm_lost_reason.id'], name=op.f('fk_crm_lead_lost_reason_id_crm_lost_reason'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['partner_id'], ['core_partner.id'], name=op.f('fk_crm_lead_partner_id_core_partner'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['crm_lead_source.id'], name=op.f('fk_crm_lead_source_id_crm_lead_source'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_lead'))
    )
    with op.batch_alter_table('crm_lead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_lead_assigned_to'), ['assigned_to'], unique=False)
        batch_op.create_index('ix_crm_lead_city', ['city'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_lead_company_key'), ['company_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_lead_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_crm_lead_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_lead_email_domain'), ['email_domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_lead_email_lower'), ['email_lower'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_lead_lost_reason_id'), ['lost_reason_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_lead_mobile_normalized'), ['mobile_normalized'], unique=False)
        batch_op.create_index('ix_crm_lead_name_search', ['name_search'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_lead_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_lead_phone_normalized'), ['phone_normalized'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_lead_source_id'), ['source_id'], unique=False)
        batch_op.create_index('ix_crm_lead_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_crm_lead_updated_at', ['updated_at'], unique=False)

    op.create_table('crm_opportunity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('expected_close_date', sa.Date(), nullable=True),
    sa.Column('assigned_to', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('lost_reason_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('name_search', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'won', 'lost')", name=op.f('ck_crm_opportunity_status')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_crm_opportunity_amount')),
    sa.CheckConstraint('probability BETWEEN 0 AND 100', name=op.f('ck_crm_opportunity_probability')),
    sa.ForeignKeyConstraint(['assigned_to'], ['core_user.id'], name=op.f('fk_crm_opportunity_assigned_to_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['core_contact.id'], name=op.f('fk_crm_opportunity_contact_id_core_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['crm_lead.id'], name=op.f('fk_crm_opportunity_lead_id_crm_lead'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lost_reason_id'], ['crm_lost_reason.id'], name=op.f('fk_crm_opportunity_lost_reason_id_crm_lost_reason'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['partner_id'], ['core_partner.id'], name=op.f('fk_crm_opportunity_partner_id_core_partner'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['stage_id'], ['crm_opportunity_stage.id'], name=op.f('fk_crm_opportunity_stage_id_crm_opportunity_stage'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_opportunity'))
    )
    with op.batch_alter_table('crm_opportunity', schema=None) as batch_op:
        batch_op.create_index('ix_crm_opportunity_amount', ['amount'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_opportunity_assigned_to'), ['assigned_to'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_opportunity_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_opportunity_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_crm_opportunity_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_opportunity_expected_close_date'), ['expected_close_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_opportunity_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_opportunity_lost_reason_id'), ['lost_reason_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_opportunity_name_search'), ['name_search'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_opportunity_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_opportunity_stage_id'), ['stage_id'], unique=False)
        batch_op.create_index('ix_crm_opportunity_status_close', ['status', 'expected_close_date'], unique=False)
        batch_op.create_index('ix_crm_opportunity_status_stage', ['status', 'stage_id'], unique=False)

    _defaults()


def _defaults():
    sources = sa.table("crm_lead_source", sa.column("name", sa.String), sa.column("code", sa.String))
    op.bulk_insert(sources, [
        {"name": "Website form", "code": "website"},
        {"name": "Trade show", "code": "trade_show"},
        {"name": "Event", "code": "event"},
        {"name": "Referral", "code": "referral"},
        {"name": "Cold call", "code": "cold_call"},
        {"name": "Other", "code": "other"},
    ])
    reasons = sa.table("crm_lost_reason", sa.column("name", sa.String))
    op.bulk_insert(reasons, [
        {"name": "Too expensive"}, {"name": "No budget"}, {"name": "Chose a competitor"},
        {"name": "No answer"}, {"name": "Not interested"}, {"name": "Duplicate"},
    ])
    stages = sa.table("crm_opportunity_stage", sa.column("name", sa.String),
                      sa.column("sequence", sa.Integer), sa.column("probability", sa.Integer),
                      sa.column("is_won", sa.Boolean), sa.column("is_lost", sa.Boolean))
    op.bulk_insert(stages, [
        {"name": "New", "sequence": 10, "probability": 10, "is_won": False, "is_lost": False},
        {"name": "Qualification", "sequence": 20, "probability": 20, "is_won": False, "is_lost": False},
        {"name": "Proposition", "sequence": 30, "probability": 50, "is_won": False, "is_lost": False},
        {"name": "Negotiation", "sequence": 40, "probability": 75, "is_won": False, "is_lost": False},
        {"name": "Closed won", "sequence": 90, "probability": 100, "is_won": True, "is_lost": False},
        {"name": "Closed lost", "sequence": 100, "probability": 0, "is_won": False, "is_lost": True},
    ])


def downgrade():
    with op.batch_alter_table('crm_opportunity', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_opportunity_status_stage')
        batch_op.drop_index('ix_crm_opportunity_status_close')
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_stage_id'))
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_partner_id'))
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_name_search'))
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_lost_reason_id'))
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_lead_id'))
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_expected_close_date'))
        batch_op.drop_index('ix_crm_opportunity_created_at')
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_contact_id'))
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_closed_at'))
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_assigned_to'))
        batch_op.drop_index('ix_crm_opportunity_amount')

    op.drop_table('crm_opportunity')
    with op.batch_alter_table('crm_lead', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_lead_updated_at')
        batch_op.drop_index('ix_crm_lead_status_created')
        batch_op.drop_index(batch_op.f('ix_crm_lead_source_id'))
        batch_op.drop_index(batch_op.f('ix_crm_lead_phone_normalized'))
        batch_op.drop_index(batch_op.f('ix_crm_lead_partner_id'))
        batch_op.drop_index('ix_crm_lead_name_search')
        batch_op.drop_index(batch_op.f('ix_crm_lead_mobile_normalized'))
        batch_op.drop_index(batch_op.f('ix_crm_lead_lost_reason_id'))
        batch_op.drop_index(batch_op.f('ix_crm_lead_email_lower'))
        batch_op.drop_index(batch_op.f('ix_crm_lead_email_domain'))
        batch_op.drop_index('ix_crm_lead_created_at')
        batch_op.drop_index(batch_op.f('ix_crm_lead_contact_id'))
        batch_op.drop_index(batch_op.f('ix_crm_lead_company_key'))
        batch_op.drop_index('ix_crm_lead_city')
        batch_op.drop_index(batch_op.f('ix_crm_lead_assigned_to'))

    op.drop_table('crm_lead')
    with op.batch_alter_table('crm_opportunity_stage', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_opportunity_stage_sequence')

    op.drop_table('crm_opportunity_stage')
    op.drop_table('crm_lost_reason')
    op.drop_table('crm_lead_source')
