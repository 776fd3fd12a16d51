"""coupon use slots

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 09:12:03.514220

A coupon's usage limits are enforced by unique constraints over numbered slots
(store/repositories/coupons.py). The uses recorded before this revision that still
stand (not voided, their check not reversed) are numbered in the order they were
recorded, per coupon and per account, so they keep counting against the limits.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# A use that stands: not voided, and the transaction it came with (if any) not undone.
_STANDING = """
    {alias}.voided_at IS NULL AND NOT EXISTS (
        SELECT 1 FROM transactions
        WHERE transactions.merchant_id = {alias}.merchant_id
          AND transactions.id = {alias}.transaction_id
          AND transactions.undone_by_id IS NOT NULL
    )
"""


def _number(slot: str, same: str) -> str:
    """Number the standing uses 1, 2, ... in id order among those that match ``same``."""
    return f"""
        UPDATE coupon_uses SET {slot} = (
            SELECT count(*) FROM coupon_uses AS earlier
            WHERE earlier.merchant_id = coupon_uses.merchant_id
              AND earlier.coupon_id = coupon_uses.coupon_id
              AND {same}
              AND earlier.id <= coupon_uses.id
              AND {_STANDING.format(alias="earlier")}
        )
        WHERE {_STANDING.format(alias="coupon_uses")}
    """


def upgrade() -> None:
    with op.batch_alter_table("coupon_uses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coupon_slot", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("account_slot", sa.Integer(), nullable=True))
        batch_op.drop_index("ix_coupon_uses_merchant_coupon")

    op.execute(_number("coupon_slot", "1 = 1"))
    op.execute(
        _number("account_slot", "earlier.account_id = coupon_uses.account_id")
        + " AND coupon_uses.account_id IS NOT NULL"
    )

    with op.batch_alter_table("coupon_uses", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_coupon_uses_merchant_id_coupon_id_coupon_slot"),
            ["merchant_id", "coupon_id", "coupon_slot"],
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_coupon_uses_merchant_id_coupon_id_account_id_account_slot"),
            ["merchant_id", "coupon_id", "account_id", "account_slot"],
        )


def downgrade() -> None:
    with op.batch_alter_table("coupon_uses", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_coupon_uses_merchant_id_coupon_id_account_id_account_slot"),
            type_="unique",
        )
        batch_op.drop_constraint(
            batch_op.f("uq_coupon_uses_merchant_id_coupon_id_coupon_slot"), type_="unique"
        )
        batch_op.create_index(
            "ix_coupon_uses_merchant_coupon",
            ["merchant_id", "coupon_id", "account_id"],
            unique=False,
        )
        batch_op.drop_column("account_slot")
        batch_op.drop_column("coupon_slot")
