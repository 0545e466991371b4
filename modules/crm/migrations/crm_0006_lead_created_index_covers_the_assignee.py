"""the leads' creation-date index also holds the id and the salesperson

The lead list's default sort (newest first, then id) walks this index. With the id and the
salesperson in it, a salesperson's deep page (their leads and the unassigned ones) is
picked from the index alone, without reading every skipped lead.

Revision ID: crm_0006
Revises: crm_0005
Create Date: 2026-11-27 04:00:00
"""

from alembic import op

revision = 'crm_0006'
down_revision = 'crm_0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_crm_lead_created_assignee', 'crm_lead', ['created_at', 'id', 'assigned_to'], unique=False)
    op.drop_index('ix_crm_lead_created_at', table_name='crm_lead')


def downgrade():
    op.create_index('ix_crm_lead_created_at', 'crm_lead', ['created_at'], unique=False)
    op.drop_index('ix_crm_lead_created_assignee', table_name='crm_lead')
