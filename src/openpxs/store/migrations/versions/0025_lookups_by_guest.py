"""guests' challenges found by account, coupon uses by check, guests by phone digits

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 07:00:00.000000

Every posted check reads the account's challenge entries, and a guest's list of
challenges its completions. Their primary keys put the challenge code before the
account, so those reads walked every entry (or completion) of the merchant. Recording
or voiding a coupon's use finds the check's earlier use, and walked every use of the
coupon. accountQuery finds guests by the digits of their phone numbers, which no index
served. Costs that grew with the merchant's guests.
"""

import sqlalchemy as sa
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


# The digits of a stored phone number: its punctuation removed, as
# store.tables.phone_digits writes it (a query uses the index only when its expression
# is this one).
_PUNCTUATION = ("+", " ", "(", ")", ".", "-")


def _digits(column: str) -> sa.TextClause:
    expression = column
    for mark in _PUNCTUATION:
        expression = f"replace({expression}, '{mark}', '')"
    return sa.text(expression)


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)
    for column in ("phone", "mobile_phone"):
        op.create_index(
            f"ix_users_merchant_{column}_digits", "users", ["merchant_id", _digits(column)]
        )


def downgrade() -> None:
    for column in ("phone", "mobile_phone"):
        op.drop_index(f"ix_users_merchant_{column}_digits", table_name="users")
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
