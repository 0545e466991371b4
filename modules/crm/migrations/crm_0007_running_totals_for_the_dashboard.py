"""running totals of leads and opportunities, kept by triggers, for the dashboard

The manager's dashboard grouped the whole lead and opportunity tables six ways (80-130 ms
at 100,000 leads). ``crm_lead_tally`` and ``crm_opportunity_tally`` hold the counts and
sums per salesperson, status, source or stage and month; triggers keep them exact
(core.tally), and they are counted here from the existing rows.

Revision ID: crm_0007
Revises: crm_0006
Create Date: 2026-11-27 07:00:00
"""

import sqlalchemy as sa
from alembic import op

from core import tally
from modules.crm.models import LEAD_TALLY, OPPORTUNITY_TALLY

revision = 'crm_0007'
down_revision = 'crm_0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'crm_lead_tally',
        sa.Column('assigned_to', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('source_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('assigned_to', 'status', 'source_id', name=op.f('pk_crm_lead_tally')))
    op.create_table(
        'crm_opportunity_tally',
        sa.Column('assigned_to', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('stage_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('weighted', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('assigned_to', 'status', 'stage_id', 'month',
                                name=op.f('pk_crm_opportunity_tally')))
    tally.create(op, LEAD_TALLY)
    tally.create(op, OPPORTUNITY_TALLY)


def downgrade():
    tally.drop(op, OPPORTUNITY_TALLY)
    tally.drop(op, LEAD_TALLY)
    op.drop_table('crm_opportunity_tally')
    op.drop_table('crm_lead_tally')
