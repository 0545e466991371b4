"""substring search on order numbers (core.search: FTS5 trigram on SQLite, pg_trgm on
PostgreSQL), for the order list's search box

The order list's search read every order, and its customer, with LIKE '%text%' on the
number and the partner's name: 18 ms for "dub" at 20,000 orders, growing with the table.
The number now has its substring index; the customer's name has the partners' (core_0005).

Revision ID: sales_0006
Revises: sales_0005
Create Date: 2026-11-27 16:00:00
"""

from alembic import op

from core import search

revision = 'sales_0006'
down_revision = 'sales_0005'
branch_labels = None
depends_on = None

COLUMNS = {"number": "lower(number)"}


def upgrade():
    search.create_index(op, "sales_order", COLUMNS)


def downgrade():
    search.drop_index(op, "sales_order", COLUMNS)
