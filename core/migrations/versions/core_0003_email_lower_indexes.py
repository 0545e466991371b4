"""indexes on lower(email) of partners and contacts (duplicate checks)

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-27 01:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0003'
down_revision = 'core_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_core_partner_email_lower', 'core_partner', [sa.text('lower(email)')], unique=False)
    op.create_index('ix_core_contact_email_lower', 'core_contact', [sa.text('lower(email)')], unique=False)


def downgrade():
    op.drop_index('ix_core_contact_email_lower', table_name='core_contact')
    op.drop_index('ix_core_partner_email_lower', table_name='core_partner')
