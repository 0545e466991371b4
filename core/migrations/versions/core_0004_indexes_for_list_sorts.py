"""indexes for the partner and contact lists' sorts (city, creation date)

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-11-27 02:00:00
"""

from alembic import op

revision = 'core_0004'
down_revision = 'core_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_core_partner_city', 'core_partner', ['city'], unique=False)
    op.create_index('ix_core_partner_created_at', 'core_partner', ['created_at'], unique=False)
    op.create_index('ix_core_contact_created_at', 'core_contact', ['created_at'], unique=False)


def downgrade():
    op.drop_index('ix_core_contact_created_at', table_name='core_contact')
    op.drop_index('ix_core_partner_created_at', table_name='core_partner')
    op.drop_index('ix_core_partner_city', table_name='core_partner')
