"""social groups: groups, members and roles, join requests, invitations

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 15:00:00.000000

The merchant's social group limits, and the groups guests form: one membership per user
and group (primary key), at most one owner per group (a partial unique index), one
pending request per user and group, invitations by unique code.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("social_groups_config", sa.JSON(), nullable=True))
    op.create_table(
        "social_groups",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("created_by", _ID, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_groups")),
    )
    op.create_index(
        "ix_social_groups_merchant_created_by", "social_groups", ["merchant_id", "created_by"]
    )
    op.create_table(
        "social_group_members",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_social_group_members")),
    )
    op.create_index(
        "ix_social_group_members_merchant_user",
        "social_group_members",
        ["merchant_id", "user_id"],
    )
    op.create_index(
        "uq_social_group_members_owner",
        "social_group_members",
        ["group_id"],
        unique=True,
        postgresql_where=sa.text("role = 'OWNER'"),
        sqlite_where=sa.text("role = 'OWNER'"),
    )
    op.create_table(
        "social_group_requests",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_group_requests")),
        sa.UniqueConstraint(
            "group_id", "user_id", name=op.f("uq_social_group_requests_group_id_user_id")
        ),
    )
    op.create_index(
        "ix_social_group_requests_merchant_user",
        "social_group_requests",
        ["merchant_id", "user_id"],
    )
    op.create_table(
        "social_group_invitations",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("inviter_user_id", _ID, nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("external_identifier", sa.String(length=100), nullable=True),
        sa.Column("account_code", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_group_invitations")),
        sa.UniqueConstraint(
            "merchant_id", "code", name=op.f("uq_social_group_invitations_merchant_id_code")
        ),
        sa.UniqueConstraint(
            "group_id", "email", name=op.f("uq_social_group_invitations_group_id_email")
        ),
        sa.UniqueConstraint(
            "group_id",
            "external_identifier",
            "account_code",
            name=op.f("uq_social_group_invitations_group_id_external_identifier_account_code"),
        ),
    )
    op.create_index(
        "ix_social_group_invitations_merchant_email",
        "social_group_invitations",
        ["merchant_id", "email"],
    )
    op.create_index(
        "ix_social_group_invitations_merchant_external",
        "social_group_invitations",
        ["merchant_id", "external_identifier", "account_code"],
    )


def downgrade() -> None:
    op.drop_table("social_group_invitations")
    op.drop_table("social_group_requests")
    op.drop_index("uq_social_group_members_owner", table_name="social_group_members")
    op.drop_table("social_group_members")
    op.drop_table("social_groups")
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("social_groups_config")
