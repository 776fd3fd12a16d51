"""report indexes

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 21:10:00.000000

The reports read a merchant's journal and accounts by day: an index by merchant and
time lets them read the days asked for instead of the merchant's whole history.
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_journal_merchant_created", "journal", ["merchant_id", "created_at"])
    op.create_index("ix_accounts_merchant_created", "accounts", ["merchant_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_accounts_merchant_created", table_name="accounts")
    op.drop_index("ix_journal_merchant_created", table_name="journal")
