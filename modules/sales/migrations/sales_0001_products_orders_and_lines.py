"""products, orders and lines

Revision ID: sales_0001
Revises: (none; needs core_0001)
Create Date: 2026-11-26 22:04:25.022770
"""

import sqlalchemy as sa
from alembic import op

revision = 'sales_0001'
down_revision = None
branch_labels = ('sales',)
depends_on = 'core_0001'


def upgrade():
    op.create_table('sales_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('tax_rate', sa.BigInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('name_search', sa.String(length=260), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_product')),
    sa.UniqueConstraint('code', name=op.f('uq_sales_product_code'))
    )
    with op.batch_alter_table('sales_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_product_name_search'), ['name_search'], unique=False)

    op.create_table('sales_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('origin_type', sa.String(length=40), nullable=True),
    sa.Column('origin_id', sa.Integer(), nullable=True),
    sa.Column('prospect_type', sa.String(length=40), nullable=True),
    sa.Column('prospect_id', sa.Integer(), nullable=True),
    sa.Column('assigned_to', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('amount_untaxed', sa.BigInteger(), nullable=False),
    sa.Column('amount_tax', sa.BigInteger(), nullable=False),
    sa.Column('amount_total', sa.BigInteger(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'finalized', 'confirmed', 'completed', 'cancelled')", name=op.f('ck_sales_order_status')),
    sa.ForeignKeyConstraint(['assigned_to'], ['core_user.id'], name=op.f('fk_sales_order_assigned_to_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['confirmed_by'], ['core_user.id'], name=op.f('fk_sales_order_confirmed_by_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partner_id'], ['core_partner.id'], name=op.f('fk_sales_order_partner_id_core_partner'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order')),
    sa.UniqueConstraint('number', name=op.f('uq_sales_order_number'))
    )
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_assigned_to'), ['assigned_to'], unique=False)
        batch_op.create_index('ix_sales_order_origin', ['origin_type', 'origin_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index('ix_sales_order_prospect', ['prospect_type', 'prospect_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_status'), ['status'], unique=False)

    op.create_table('sales_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('discount_percent', sa.BigInteger(), nullable=False),
    sa.Column('tax_percent', sa.BigInteger(), nullable=False),
    sa.Column('amount_untaxed', sa.BigInteger(), nullable=False),
    sa.Column('amount_tax', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_sales_order_line_order_id_sales_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['sales_product.id'], name=op.f('fk_sales_order_line_product_id_sales_product'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order_line'))
    )
    with op.batch_alter_table('sales_order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_line_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_line_product_id'), ['product_id'], unique=False)



def downgrade():
    with op.batch_alter_table('sales_order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_line_product_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_line_order_id'))

    op.drop_table('sales_order_line')
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_status'))
        batch_op.drop_index('ix_sales_order_prospect')
        batch_op.drop_index(batch_op.f('ix_sales_order_partner_id'))
        batch_op.drop_index('ix_sales_order_origin')
        batch_op.drop_index(batch_op.f('ix_sales_order_assigned_to'))

    op.drop_table('sales_order')
    with op.batch_alter_table('sales_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_product_name_search'))

    op.drop_table('sales_product')
