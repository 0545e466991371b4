"""index for the opportunity list's probability sort

Revision ID: crm_0005
Revises: crm_0004
Create Date: 2026-11-27 02:00:00
"""

from alembic import op

revision = 'crm_0005'
down_revision = 'crm_0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_crm_opportunity_probability', 'crm_opportunity', ['probability'], unique=False)


def downgrade():
    op.drop_index('ix_crm_opportunity_probability', table_name='crm_opportunity')
