"""apple pay domains and recharge monitors

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 12:10:00.000000

The web domains a merchant has registered with Apple Pay (merchant validation is
refused for any other domain), and threshold monitoring: the accounts watched and the
events their redemptions raise.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "apple_pay_domains",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("domain_name", sa.String(length=253), nullable=False),
        sa.Column("registered_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "domain_name", name=op.f("pk_apple_pay_domains")),
    )
    op.create_table(
        "recharge_monitors",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("card_number", sa.String(length=64), nullable=False),
        sa.Column("wallet_code", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "account_id", name=op.f("pk_recharge_monitors")),
    )
    op.create_table(
        "recharge_monitor_events",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("card_number", sa.String(length=64), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("raised_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recharge_monitor_events")),
    )
    op.create_index(
        "ix_recharge_monitor_events_pending",
        "recharge_monitor_events",
        ["merchant_id", "settled_at", "account_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_recharge_monitor_events_pending", table_name="recharge_monitor_events")
    op.drop_table("recharge_monitor_events")
    op.drop_table("recharge_monitors")
    op.drop_table("apple_pay_domains")
