"""running totals of orders per salesperson and status, kept by triggers, for the order list

The order list counted its orders through an index on every request: 0.23 ms for a
manager's 20,000 orders, ten times that at 200,000. ``sales_order_tally`` holds the count
per salesperson and status; triggers keep it exact (core.tally), and it is counted here
from the existing orders.

Revision ID: sales_0005
Revises: sales_0004
Create Date: 2026-11-27 15:00:00
"""

import sqlalchemy as sa
from alembic import op

from core import tally
from modules.sales.models import ORDER_TALLY

revision = 'sales_0005'
down_revision = 'sales_0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sales_order_tally',
        sa.Column('assigned_to', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('assigned_to', 'status', name=op.f('pk_sales_order_tally')))
    tally.create(op, ORDER_TALLY)


def downgrade():
    tally.drop(op, ORDER_TALLY)
    op.drop_table('sales_order_tally')
