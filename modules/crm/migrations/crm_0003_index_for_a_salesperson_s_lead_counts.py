"""index for a salesperson's lead counts (dashboard, home panel)

(assigned_to, status, source_id) replaces the single-column index on assigned_to: a
salesperson's visible leads (theirs and the unassigned ones) are counted by status and
source from the index alone.

Revision ID: crm_0003
Revises: crm_0002
Create Date: 2026-11-27 01:40:00
"""

from alembic import op

revision = 'crm_0003'
down_revision = 'crm_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('crm_lead', schema=None) as batch_op:
        batch_op.create_index('ix_crm_lead_assignee_status_source', ['assigned_to', 'status', 'source_id'], unique=False)
        batch_op.drop_index('ix_crm_lead_assigned_to')


def downgrade():
    with op.batch_alter_table('crm_lead', schema=None) as batch_op:
        batch_op.create_index('ix_crm_lead_assigned_to', ['assigned_to'], unique=False)
        batch_op.drop_index('ix_crm_lead_assignee_status_source')
