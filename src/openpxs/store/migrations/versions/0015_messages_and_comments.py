"""guest inbox, account comments, outreach settings and HTML e-mail

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 15:00:00.000000

The guest inbox (message/*) and CSR account comments get tables of their own; merchants
their outreach settings (marketing templates, One To One cadence, mobile app content);
outbox messages an optional HTML part.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outreach_config", sa.JSON(), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))
    op.create_table(
        "inbox_messages",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("image_url", sa.String(length=500), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_messages")),
    )
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbox_messages_merchant_account",
            ["merchant_id", "account_id", "sent_at"],
            unique=False,
        )
    op.create_table(
        "account_comments",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_comments")),
    )
    with op.batch_alter_table("account_comments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_comments_merchant_account",
            ["merchant_id", "account_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("account_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_account_comments_merchant_account")
    op.drop_table("account_comments")
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_messages_merchant_account")
    op.drop_table("inbox_messages")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("html_body")
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("outreach_config")
