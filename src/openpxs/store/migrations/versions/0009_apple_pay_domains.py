"""apple pay domains

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-06 12:10:00.000000

The web domains a merchant has registered with Apple Pay; merchant validation is
refused for any other domain.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apple_pay_domains",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("domain_name", sa.String(length=253), nullable=False),
        sa.Column("registered_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "domain_name", name=op.f("pk_apple_pay_domains")),
    )


def downgrade() -> None:
    op.drop_table("apple_pay_domains")
