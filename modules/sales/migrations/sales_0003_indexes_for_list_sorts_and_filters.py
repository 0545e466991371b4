"""indexes for the order and product lists' sorts and filter

Revision ID: sales_0003
Revises: sales_0002
Create Date: 2026-11-27 02:00:00
"""

from alembic import op

revision = 'sales_0003'
down_revision = 'sales_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_sales_order_amount_total', 'sales_order', ['amount_total'], unique=False)
    op.create_index('ix_sales_order_valid_until', 'sales_order', ['valid_until'], unique=False)
    op.create_index('ix_sales_product_active_code', 'sales_product', ['active', 'code'], unique=False)
    op.create_index('ix_sales_product_unit_price', 'sales_product', ['unit_price'], unique=False)


def downgrade():
    op.drop_index('ix_sales_product_unit_price', table_name='sales_product')
    op.drop_index('ix_sales_product_active_code', table_name='sales_product')
    op.drop_index('ix_sales_order_valid_until', table_name='sales_order')
    op.drop_index('ix_sales_order_amount_total', table_name='sales_order')
