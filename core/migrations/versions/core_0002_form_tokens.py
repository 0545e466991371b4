"""Single-use tokens of create forms (core.once)

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-26 23:40:36.555892
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0002'
down_revision = 'core_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('core_form_token',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_core_form_token'))
    )


def downgrade():
    op.drop_table('core_form_token')
