"""indexes for the pipeline, forecast, dashboards and lead filters

Revision ID: crm_0002
Revises: crm_0001
Create Date: 2026-11-26 23:40:13.706010
"""

from alembic import op

revision = 'crm_0002'
down_revision = 'crm_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('crm_lead', schema=None) as batch_op:
        batch_op.create_index('ix_crm_lead_status_source', ['status', 'source_id', 'name_search'], unique=False)

    with op.batch_alter_table('crm_opportunity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_status_close'))
        batch_op.create_index('ix_crm_opportunity_status_close', ['status', 'expected_close_date', 'amount', 'probability', 'assigned_to'], unique=False)
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_status_stage'))
        batch_op.create_index('ix_crm_opportunity_status_stage', ['status', 'stage_id', 'expected_close_date', 'amount', 'probability', 'assigned_to'], unique=False)
        batch_op.create_index('ix_crm_opportunity_assignee_status', ['assigned_to', 'status', 'stage_id', 'expected_close_date', 'amount', 'probability'], unique=False)
        batch_op.create_index('ix_crm_opportunity_status_closed', ['status', 'closed_at', 'amount', 'assigned_to'], unique=False)


def downgrade():
    with op.batch_alter_table('crm_opportunity', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_opportunity_status_closed')
        batch_op.drop_index('ix_crm_opportunity_assignee_status')
        batch_op.drop_index('ix_crm_opportunity_status_stage')
        batch_op.create_index(batch_op.f('ix_crm_opportunity_status_stage'), ['status', 'stage_id'], unique=False)
        batch_op.drop_index('ix_crm_opportunity_status_close')
        batch_op.create_index(batch_op.f('ix_crm_opportunity_status_close'), ['status', 'expected_close_date'], unique=False)

    with op.batch_alter_table('crm_lead', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_lead_status_source')
