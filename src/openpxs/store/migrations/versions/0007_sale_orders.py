"""web store orders

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 12:00:00.000000

Orders of the Sale Service (eGift and loyalty card sales), recorded before their charge
and marked fulfilled when their cards are issued and loaded.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sale_orders",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("program_type", sa.String(length=16), nullable=False),
        sa.Column("card_template", sa.Integer(), nullable=False),
        sa.Column("account_id", _ID, nullable=True),
        sa.Column("purchaser", sa.JSON(), nullable=False),
        sa.Column("shipping_method", sa.String(length=32), nullable=False),
        sa.Column("shipping_address", sa.JSON(), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("order_discount", sa.BigInteger(), nullable=False),
        sa.Column("shipping_cost", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", _ID, nullable=True),
        sa.Column("cards", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("fulfilled_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_orders")),
        sa.UniqueConstraint(
            "merchant_id", "order_number", name=op.f("uq_sale_orders_merchant_id_order_number")
        ),
        sa.UniqueConstraint(
            "merchant_id",
            "idempotency_key",
            name=op.f("uq_sale_orders_merchant_id_idempotency_key"),
        ),
    )


def downgrade() -> None:
    op.drop_table("sale_orders")
