"""account book revision

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:10:00.000000

Every write of an account's book counts one up on the account (PostgreSQL), so that
addRedeem can read the book without a lock and write it with one guarded statement.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("revision")
