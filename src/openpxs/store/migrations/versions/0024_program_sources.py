"""the program file's text as each apply received it

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 23:00:00.000000

Each apply of a program file (`openpxs config apply`, the demo installer, the console)
keeps the file's text, integration secrets replaced by their hashes, with the version
it produced and who applied it: the console's program editor starts from it.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "program_sources",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.Column("applied_by", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_sources")),
    )
    op.create_index("ix_program_sources_merchant_id", "program_sources", ["merchant_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_program_sources_merchant_id", table_name="program_sources")
    op.drop_table("program_sources")
