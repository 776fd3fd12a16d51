"""wallet passes: Apple Wallet passes with their registered devices, Google Wallet objects

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 15:00:00.000000

Merchants get their wallet pass settings; a card's pass is a row made the first time it
is asked for, and the devices that registered an Apple pass for updates rows of their
own.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wallet_passes_config", sa.JSON(), nullable=True))
    op.create_table(
        "wallet_passes",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=False),
        sa.Column("card_number", sa.String(length=64), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("auth_token", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("seen_journal_id", _ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_passes")),
        sa.UniqueConstraint("serial_number", name=op.f("uq_wallet_passes_serial_number")),
        sa.UniqueConstraint(
            "merchant_id",
            "kind",
            "card_number",
            name=op.f("uq_wallet_passes_merchant_id_kind_card_number"),
        ),
    )
    with op.batch_alter_table("wallet_passes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wallet_passes_merchant_account", ["merchant_id", "account_id"], unique=False
        )
    op.create_table(
        "wallet_pass_devices",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("pass_id", _ID, nullable=False),
        sa.Column("device_library_id", sa.String(length=128), nullable=False),
        sa.Column("push_token", sa.String(length=200), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_pass_devices")),
        sa.UniqueConstraint(
            "pass_id",
            "device_library_id",
            name=op.f("uq_wallet_pass_devices_pass_id_device_library_id"),
        ),
    )
    with op.batch_alter_table("wallet_pass_devices", schema=None) as batch_op:
        batch_op.create_index("ix_wallet_pass_devices_device", ["device_library_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wallet_pass_devices", schema=None) as batch_op:
        batch_op.drop_index("ix_wallet_pass_devices_device")
    op.drop_table("wallet_pass_devices")
    with op.batch_alter_table("wallet_passes", schema=None) as batch_op:
        batch_op.drop_index("ix_wallet_passes_merchant_account")
    op.drop_table("wallet_passes")
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("wallet_passes_config")
