"""authorization grant binding

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 18:30:00.000000

What an authorization grant of the guest website's redirect flow is bound to: the
redirect URI it was sent to and the PKCE code challenge (S256) the exchange must answer.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oauth_tokens") as batch:
        batch.add_column(sa.Column("redirect_uri", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("code_challenge", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oauth_tokens") as batch:
        batch.drop_column("code_challenge")
        batch.drop_column("redirect_uri")
