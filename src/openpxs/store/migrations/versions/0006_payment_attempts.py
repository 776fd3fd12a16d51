"""payment attempts, saved payment methods and payment settings

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 09:40:00.000000

Card payments: the merchant's payment settings (processor secrets only by reference)
and the recorded attempts that reconciliation finishes or compensates.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payments_config", sa.JSON(), nullable=True))
    op.create_table(
        "payment_attempts",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", _ID, nullable=True),
        sa.Column("card_number", sa.String(length=64), nullable=False),
        sa.Column("wallet_code", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("processor", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("store_code", sa.String(length=64), nullable=True),
        sa.Column("integration_id", _ID, nullable=True),
        sa.Column("processor_reference", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("processor_code", sa.String(length=64), nullable=True),
        sa.Column("processor_message", sa.String(length=200), nullable=True),
        sa.Column("auth_code", sa.String(length=32), nullable=True),
        sa.Column("card_brand", sa.String(length=16), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("card_expiry", sa.String(length=7), nullable=True),
        sa.Column("transaction_id", _ID, nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'charged', 'credited', 'failed', 'compensated')",
            name=op.f("ck_payment_attempts_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_attempts")),
        sa.UniqueConstraint(
            "merchant_id",
            "idempotency_key",
            name=op.f("uq_payment_attempts_merchant_id_idempotency_key"),
        ),
    )
    op.create_index(
        "ix_payment_attempts_merchant_state",
        "payment_attempts",
        ["merchant_id", "state", "updated_at"],
    )
    op.create_index(
        "ix_payment_attempts_merchant_card",
        "payment_attempts",
        ["merchant_id", "card_number", "id"],
    )

    op.create_table(
        "payment_methods",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("processor", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("card_brand", sa.String(length=16), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("card_expiry", sa.String(length=7), nullable=True),
        sa.Column("cardholder_name", sa.String(length=200), nullable=True),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("usages", sa.JSON(), nullable=False),
        sa.Column("saved_cc", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_methods")),
    )
    op.create_index(
        "ix_payment_methods_merchant_account", "payment_methods", ["merchant_id", "account_id"]
    )

    op.create_table(
        "auto_recharges",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("card_number", sa.String(length=64), nullable=False),
        sa.Column("wallet_code", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("declines", sa.Integer(), server_default="0", nullable=False),
        sa.Column("due_since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "account_id", name=op.f("pk_auto_recharges")),
    )
    op.create_index(
        "ix_auto_recharges_merchant_due", "auto_recharges", ["merchant_id", "due_since"]
    )


def downgrade() -> None:
    op.drop_index("ix_auto_recharges_merchant_due", table_name="auto_recharges")
    op.drop_table("auto_recharges")
    op.drop_index("ix_payment_methods_merchant_account", table_name="payment_methods")
    op.drop_table("payment_methods")
    op.drop_index("ix_payment_attempts_merchant_card", table_name="payment_attempts")
    op.drop_index("ix_payment_attempts_merchant_state", table_name="payment_attempts")
    op.drop_table("payment_attempts")
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("payments_config")
