"""guest surveys: their configuration, opt-ins and responses

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 12:00:00.000000

The surveys of a merchant's program file, the accounts that opted in to one, and one
response per account and survey occurrence (a unique constraint).
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("surveys_config", sa.JSON(), nullable=True))
    op.create_table(
        "survey_opt_ins",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("survey_code", sa.String(length=64), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("opted_in_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "merchant_id", "survey_code", "account_id", name=op.f("pk_survey_opt_ins")
        ),
    )
    op.create_table(
        "survey_responses",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("survey_code", sa.String(length=64), nullable=False),
        sa.Column("occurrence", sa.String(length=16), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("card_number", sa.String(length=64), nullable=False),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("store_code", sa.String(length=64), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("transaction_id", _ID, nullable=True),
        sa.Column("submitted_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint(
            "merchant_id",
            "survey_code",
            "account_id",
            "occurrence",
            name=op.f("uq_survey_responses_merchant_id_survey_code_account_id_occurrence"),
        ),
    )
    op.create_index(
        "ix_survey_responses_merchant_survey",
        "survey_responses",
        ["merchant_id", "survey_code", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_survey_responses_merchant_survey", table_name="survey_responses")
    op.drop_table("survey_responses")
    op.drop_table("survey_opt_ins")
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("surveys_config")
