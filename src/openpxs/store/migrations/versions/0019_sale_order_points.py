"""sale order points

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 18:20:00.000000

The points a Reward Yourself order was paid with, so that a retried call answers the
points of the first one whatever the program's rate has become since.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sale_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("total_points", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sale_orders", schema=None) as batch_op:
        batch_op.drop_column("total_points")
