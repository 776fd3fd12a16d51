"""an account's journal by wallet and time, its lots by expiry

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 21:40:00.000000

A posted check sums what the account earned in its tier's window. The journal's
index by account and wallet did not hold the time, and SQLite (which keeps no
statistics unless ANALYZE runs) read that sum through the index by merchant and time
(0022) instead: every journal row of the merchant in the window, on every check, a
cost that grew with the merchant's history. Asking which accounts hold lapsed value
read every lot of the merchant that ever lapsed, through the index by expiry, the same
way. With the time in an index by account, each is one range of it on both databases.
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

JOURNAL = "ix_journal_merchant_account_wallet"
LOTS = "ix_lots_merchant_account_expiry"


def upgrade() -> None:
    op.drop_index(JOURNAL, table_name="journal")
    op.create_index(JOURNAL, "journal", ["merchant_id", "account_id", "wallet_code", "created_at"])
    op.create_index(LOTS, "lots", ["merchant_id", "account_id", "expires_at"])


def downgrade() -> None:
    op.drop_index(LOTS, table_name="lots")
    op.drop_index(JOURNAL, table_name="journal")
    op.create_index(JOURNAL, "journal", ["merchant_id", "account_id", "wallet_code"])
