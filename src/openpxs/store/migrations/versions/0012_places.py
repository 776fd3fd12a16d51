"""store locator, check-in limits, region events and place settings

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:00:00.000000

Stores get numeric coordinates (indexed for the store locator's bounding box), a phone,
opening hours and attributes; merchants their place settings; check-ins the caller's
venue id and an index for the per-account limits; region events a table of their own.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("places_config", sa.JSON(), nullable=True))
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("hours", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("attributes", sa.JSON(), nullable=True))
        batch_op.create_index("ix_stores_merchant_id_lat", ["merchant_id", "lat"], unique=False)
    # Stores written before this revision: their coordinates as numbers.
    op.execute(
        "UPDATE stores SET lat = CAST(latitude AS FLOAT), lon = CAST(longitude AS FLOAT) "
        "WHERE latitude IS NOT NULL AND longitude IS NOT NULL"
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_store_code", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_checkins_merchant_account",
            ["merchant_id", "account_id", "checked_in_at"],
            unique=False,
        )
    op.create_table(
        "region_events",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("store_code", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=8), nullable=False),
        sa.Column("event_time", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_events")),
    )
    with op.batch_alter_table("region_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_region_events_merchant_account",
            ["merchant_id", "account_id", "event_time"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("region_events", schema=None) as batch_op:
        batch_op.drop_index("ix_region_events_merchant_account")
    op.drop_table("region_events")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_merchant_account")
        batch_op.drop_column("external_store_code")
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_index("ix_stores_merchant_id_lat")
        batch_op.drop_column("attributes")
        batch_op.drop_column("hours")
        batch_op.drop_column("phone")
        batch_op.drop_column("lon")
        batch_op.drop_column("lat")
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("places_config")
