"""group challenges: group entries, group progress, completions and payouts, tallies

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 18:30:00.000000

A social group's opt-ins to group challenges, the group a progress row counts for, the
occurrences groups completed with what each member was paid, and the completion count
of challenges capped across every account.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("challenge_progress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", _ID, nullable=True))
    op.create_index(
        "ix_challenge_progress_merchant_group",
        "challenge_progress",
        ["merchant_id", "group_id", "challenge_code", "occurrence"],
    )
    op.create_table(
        "challenge_group_entries",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("challenge_code", sa.String(length=32), nullable=False),
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "merchant_id", "challenge_code", "group_id", name=op.f("pk_challenge_group_entries")
        ),
    )
    op.create_table(
        "challenge_group_completions",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("challenge_code", sa.String(length=32), nullable=False),
        sa.Column("occurrence", sa.String(length=8), nullable=False),
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("completed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "merchant_id",
            "challenge_code",
            "occurrence",
            "group_id",
            name=op.f("pk_challenge_group_completions"),
        ),
    )
    op.create_table(
        "challenge_group_payouts",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("challenge_code", sa.String(length=32), nullable=False),
        sa.Column("occurrence", sa.String(length=8), nullable=False),
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("account_id", _ID, nullable=True),
        sa.Column("reward_transaction_id", _ID, nullable=True),
        sa.Column("badge_code", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint(
            "merchant_id",
            "challenge_code",
            "occurrence",
            "group_id",
            "user_id",
            name=op.f("pk_challenge_group_payouts"),
        ),
    )
    op.create_table(
        "challenge_tallies",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("challenge_code", sa.String(length=32), nullable=False),
        sa.Column("completions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "challenge_code", name=op.f("pk_challenge_tallies")),
    )


def downgrade() -> None:
    op.drop_table("challenge_tallies")
    op.drop_table("challenge_group_payouts")
    op.drop_table("challenge_group_completions")
    op.drop_table("challenge_group_entries")
    op.drop_index("ix_challenge_progress_merchant_group", table_name="challenge_progress")
    with op.batch_alter_table("challenge_progress", schema=None) as batch_op:
        batch_op.drop_column("group_id")
