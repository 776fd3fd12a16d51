"""gift transfers and subscriptions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:00:00.000000

Rewards given to other guests (held until claimed when the recipient has no account
yet) and paid subscriptions with their renewal schedule.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0008"
# 0007 is being written beside this one; whichever merges second re-points its parent.
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "gift_transfers",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("wallet_code", sa.Integer(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("from_account_id", _ID, nullable=False),
        sa.Column("from_card_number", sa.String(length=64), nullable=False),
        sa.Column("to_account_id", _ID, nullable=True),
        sa.Column("to_card_number", sa.String(length=64), nullable=True),
        sa.Column("recipient_email", sa.String(length=254), nullable=True),
        sa.Column("recipient_first_name", sa.String(length=100), nullable=True),
        sa.Column("recipient_last_name", sa.String(length=100), nullable=True),
        sa.Column("message", sa.String(length=1000), nullable=True),
        sa.Column("claim_digest", sa.String(length=64), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("out_transaction_id", _ID, nullable=False),
        sa.Column("in_transaction_id", _ID, nullable=True),
        sa.Column("return_transaction_id", _ID, nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('completed', 'pending_claim', 'claimed', 'returned')",
            name=op.f("ck_gift_transfers_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_transfers")),
        sa.UniqueConstraint(
            "merchant_id", "claim_digest", name=op.f("uq_gift_transfers_merchant_id_claim_digest")
        ),
    )
    op.create_index("ix_gift_transfers_status_expires", "gift_transfers", ["status", "expires_at"])
    op.create_table(
        "subscriptions",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("card_number", sa.String(length=64), nullable=False),
        sa.Column("plan_code", sa.String(length=64), nullable=False),
        sa.Column("next_plan_code", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("enrolled_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_start", UTCDateTime(timezone=True), nullable=False),
        sa.Column("renews_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("declines", sa.Integer(), server_default="0", nullable=False),
        sa.Column("retry_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("processor", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("card_brand", sa.String(length=16), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("card_expiry", sa.String(length=7), nullable=True),
        sa.Column("store_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'cancelled', 'past_due', 'expired')",
            name=op.f("ck_subscriptions_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint(
            "merchant_id", "account_id", name=op.f("uq_subscriptions_merchant_id_account_id")
        ),
    )
    op.create_index("ix_subscriptions_status_renews", "subscriptions", ["status", "renews_at"])


def downgrade() -> None:
    op.drop_index("ix_subscriptions_status_renews", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index("ix_gift_transfers_status_expires", table_name="gift_transfers")
    op.drop_table("gift_transfers")
