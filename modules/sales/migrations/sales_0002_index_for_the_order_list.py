"""index for the order list

Revision ID: sales_0002
Revises: sales_0001
Create Date: 2026-11-26 23:40:21.776100
"""

from alembic import op

revision = 'sales_0002'
down_revision = 'sales_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index('ix_sales_order_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_order_created_at')
