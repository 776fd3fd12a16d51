"""push devices and SMS subscription status

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 15:00:00.000000

The phones that receive a guest's pushes (APNs and FCM tokens), and the numbers that
texted STOP, which get no SMS until they opt in again.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "push_devices",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_identifier", sa.String(length=100), nullable=False),
        sa.Column("token", sa.String(length=254), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_devices")),
        sa.UniqueConstraint("merchant_id", "token", name=op.f("uq_push_devices_merchant_id_token")),
    )
    with op.batch_alter_table("push_devices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_push_devices_merchant_account", ["merchant_id", "account_id"], unique=False
        )
    op.create_table(
        "sms_subscriptions",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("phone_digits", sa.String(length=32), nullable=False),
        sa.Column("stopped", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "phone_digits", name=op.f("pk_sms_subscriptions")),
    )


def downgrade() -> None:
    op.drop_table("sms_subscriptions")
    with op.batch_alter_table("push_devices", schema=None) as batch_op:
        batch_op.drop_index("ix_push_devices_merchant_account")
    op.drop_table("push_devices")
