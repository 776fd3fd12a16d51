"""challenge entries found by their account

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 07:00:00.000000

Every posted check reads the account's challenge entries. The primary key puts the
challenge code before the account, so that read walked every entry of the merchant:
a cost that grew with the merchant's guests.
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_challenge_entries_merchant_account",
        "challenge_entries",
        ["merchant_id", "account_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_challenge_entries_merchant_account", table_name="challenge_entries")
