"""operators, their sessions and audit, and the console's guest search

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 21:00:00.000000

Staff of a merchant who sign in to the operator console (with their sessions and the
audit of what they did), the console settings of a merchant's program file, and the
indexes the console's guest search uses (mobile phone, e-mail and names by lower case).
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("console_config", sa.JSON(), nullable=True))
    op.create_index("ix_users_merchant_mobile_phone", "users", ["merchant_id", "mobile_phone"])
    op.create_index(
        "ix_users_merchant_lower_email", "users", ["merchant_id", sa.text("lower(email)")]
    )
    op.create_index(
        "ix_users_merchant_lower_last_name", "users", ["merchant_id", sa.text("lower(last_name)")]
    )
    op.create_index(
        "ix_users_merchant_lower_first_name",
        "users",
        ["merchant_id", sa.text("lower(first_name)")],
    )
    op.create_table(
        "operators",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("merchant_id", "email", name=op.f("uq_operators_merchant_id_email")),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("operator_id", _ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_operator_sessions_token_hash")),
    )
    op.create_index(
        "ix_operator_sessions_merchant_operator",
        "operator_sessions",
        ["merchant_id", "operator_id"],
    )
    op.create_table(
        "operator_audit",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("operator_id", _ID, nullable=False),
        sa.Column("operator_email", sa.String(length=254), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("account_id", _ID, nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_audit")),
    )
    op.create_index("ix_operator_audit_merchant_at", "operator_audit", ["merchant_id", "at"])
    op.create_index(
        "ix_operator_audit_merchant_operator",
        "operator_audit",
        ["merchant_id", "operator_id", "at"],
    )
    op.create_index(
        "ix_operator_audit_merchant_account", "operator_audit", ["merchant_id", "account_id", "at"]
    )


def downgrade() -> None:
    for name in (
        "ix_operator_audit_merchant_account",
        "ix_operator_audit_merchant_operator",
        "ix_operator_audit_merchant_at",
    ):
        op.drop_index(name, table_name="operator_audit")
    op.drop_table("operator_audit")
    op.drop_index("ix_operator_sessions_merchant_operator", table_name="operator_sessions")
    op.drop_table("operator_sessions")
    op.drop_table("operators")
    for name in (
        "ix_users_merchant_lower_first_name",
        "ix_users_merchant_lower_last_name",
        "ix_users_merchant_lower_email",
        "ix_users_merchant_mobile_phone",
    ):
        op.drop_index(name, table_name="users")
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("console_config")
