"""payment intents

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 15:00:00.000000

The intents behind checkout sessions: an amount a processor's checkout authorizes,
captured (and credited) or released later.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payment_intents",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("capture_method", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("captured", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("account_id", _ID, nullable=True),
        sa.Column("card_number", sa.String(length=64), nullable=True),
        sa.Column("wallet_code", sa.Integer(), nullable=False),
        sa.Column("processor", sa.String(length=32), nullable=False),
        sa.Column("processor_reference", sa.String(length=100), nullable=False),
        sa.Column("session_id", sa.String(length=100), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("open_key", sa.String(length=100), nullable=False),
        sa.Column("capture_tries", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("integration_id", _ID, nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_intents")),
        sa.UniqueConstraint(
            "merchant_id", "public_id", name=op.f("uq_payment_intents_merchant_id_public_id")
        ),
        sa.UniqueConstraint(
            "merchant_id", "open_key", name=op.f("uq_payment_intents_merchant_id_open_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("payment_intents")
