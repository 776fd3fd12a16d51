"""challenge entries and completions found by their account

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 07:00:00.000000

Every posted check reads the account's challenge entries, and a guest's list of
challenges its completions. Their primary keys put the challenge code before the
account, so those reads walked every entry (or completion) of the merchant: a cost
that grew with the merchant's guests.
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


INDEXES = {
    "ix_challenge_entries_merchant_account": "challenge_entries",
    "ix_challenge_completions_merchant_account": "challenge_completions",
}


def upgrade() -> None:
    for name, table in INDEXES.items():
        op.create_index(name, table, ["merchant_id", "account_id"])


def downgrade() -> None:
    for name, table in INDEXES.items():
        op.drop_index(name, table_name=table)
