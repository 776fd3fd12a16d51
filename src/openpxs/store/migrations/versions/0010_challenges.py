"""challenges: entries, progress and completions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 12:00:00.000000

Challenges configured in the program file (merchants.challenges_config), the accounts'
opt-ins and opt-outs, the progress posted checks made and the completions they paid.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("challenges_config", sa.JSON(), nullable=True))
    op.create_table(
        "challenge_entries",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("challenge_code", sa.String(length=32), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("charity_code", sa.String(length=64), nullable=True),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "merchant_id", "challenge_code", "account_id", name=op.f("pk_challenge_entries")
        ),
    )
    op.create_table(
        "challenge_progress",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("challenge_code", sa.String(length=32), nullable=False),
        sa.Column("occurrence", sa.String(length=8), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("transaction_id", _ID, nullable=True),
        sa.Column("store_code", sa.String(length=64), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken_back_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_progress")),
    )
    op.create_index(
        "ix_challenge_progress_merchant_account",
        "challenge_progress",
        ["merchant_id", "account_id", "challenge_code", "occurrence"],
    )
    op.create_index(
        "ix_challenge_progress_merchant_transaction",
        "challenge_progress",
        ["merchant_id", "transaction_id"],
    )
    op.create_table(
        "challenge_completions",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("challenge_code", sa.String(length=32), nullable=False),
        sa.Column("occurrence", sa.String(length=8), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("completed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reward_transaction_id", _ID, nullable=True),
        sa.Column("charity_code", sa.String(length=64), nullable=True),
        sa.Column("badge_code", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint(
            "merchant_id",
            "challenge_code",
            "occurrence",
            "account_id",
            name=op.f("pk_challenge_completions"),
        ),
    )


def downgrade() -> None:
    op.drop_table("challenge_completions")
    op.drop_index("ix_challenge_progress_merchant_transaction", table_name="challenge_progress")
    op.drop_index("ix_challenge_progress_merchant_account", table_name="challenge_progress")
    op.drop_table("challenge_progress")
    op.drop_table("challenge_entries")
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("challenges_config")
