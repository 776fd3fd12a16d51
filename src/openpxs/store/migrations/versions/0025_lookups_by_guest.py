"""challenge entries and completions found by their account, coupon uses by their check

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 07:00:00.000000

Every posted check reads the account's challenge entries, and a guest's list of
challenges its completions. Their primary keys put the challenge code before the
account, so those reads walked every entry (or completion) of the merchant. Recording
or voiding a coupon's use finds the check's earlier use, and walked every use of the
coupon. Costs that grew with the merchant's guests.
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


INDEXES = {
    "ix_challenge_entries_merchant_account": ("challenge_entries", ["merchant_id", "account_id"]),
    "ix_challenge_completions_merchant_account": (
        "challenge_completions",
        ["merchant_id", "account_id"],
    ),
    "ix_coupon_uses_merchant_coupon_check": (
        "coupon_uses",
        ["merchant_id", "coupon_id", "store_code", "check_number"],
    ),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
