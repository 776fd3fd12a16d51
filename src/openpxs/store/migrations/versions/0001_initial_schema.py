"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 01:56:47.846579
"""

import sqlalchemy as sa
from alembic import op

from openpxs.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("template_code", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_merchant", ["merchant_id", "id"], unique=False)

    op.create_table(
        "card_templates",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("programs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "code", name=op.f("pk_card_templates")),
    )
    op.create_table(
        "cards",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("printed_card_number", sa.String(length=64), nullable=False),
        sa.Column("registration_code", sa.String(length=64), nullable=True),
        sa.Column("template_code", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("activated_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cards")),
        sa.UniqueConstraint(
            "merchant_id",
            "printed_card_number",
            name=op.f("uq_cards_merchant_id_printed_card_number"),
        ),
    )
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cards_merchant_account", ["merchant_id", "account_id"], unique=False
        )

    op.create_table(
        "checkins",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("card_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("store_code", sa.String(length=64), nullable=False),
        sa.Column("short_card_number", sa.String(length=32), nullable=True),
        sa.Column("checked_in_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkins_merchant_store", ["merchant_id", "store_code", "expires_at"], unique=False
        )

    op.create_table(
        "idempotency_keys",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=400), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "scope", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            "ix_idempotency_keys_merchant_txn", ["merchant_id", "transaction_id"], unique=False
        )
    op.create_table(
        "integrations",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("styles", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("identifier", name=op.f("uq_integrations_identifier")),
    )
    op.create_table(
        "journal",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("wallet_code", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_units", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal")),
    )
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journal_merchant_account_wallet",
            ["merchant_id", "account_id", "wallet_code"],
            unique=False,
        )
        batch_op.create_index("ix_journal_merchant_lot", ["merchant_id", "lot_id"], unique=False)
        batch_op.create_index(
            "ix_journal_merchant_txn", ["merchant_id", "transaction_id"], unique=False
        )

    op.create_table(
        "lots",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("wallet_code", sa.Integer(), nullable=False),
        sa.Column("remaining_units", sa.BigInteger(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.CheckConstraint("remaining_units >= 0", name=op.f("ck_lots_remaining_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lots_merchant_account_wallet",
            ["merchant_id", "account_id", "wallet_code"],
            unique=False,
        )
        batch_op.create_index(
            "ix_lots_merchant_expiry", ["merchant_id", "expires_at"], unique=False
        )

    op.create_table(
        "merchants",
        sa.Column("merchant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("config_version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f("pk_merchants")),
    )
    op.create_table(
        "programs",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "code", name=op.f("pk_programs")),
    )
    op.create_table(
        "stores",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("latitude", sa.String(length=32), nullable=True),
        sa.Column("longitude", sa.String(length=32), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "code", name=op.f("pk_stores")),
    )
    op.create_table(
        "transaction_cards",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("card_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_cards")),
    )
    with op.batch_alter_table("transaction_cards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transaction_cards_merchant_account", ["merchant_id", "account_id"], unique=False
        )
        batch_op.create_index(
            "ix_transaction_cards_merchant_txn", ["merchant_id", "transaction_id"], unique=False
        )

    op.create_table(
        "transactions",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("card_number", sa.String(length=64), nullable=True),
        sa.Column("store_code", sa.String(length=64), nullable=True),
        sa.Column("terminal_id", sa.String(length=64), nullable=True),
        sa.Column("operator_id", sa.String(length=64), nullable=True),
        sa.Column("pos_transaction_id", sa.String(length=128), nullable=True),
        sa.Column("pos_datetime", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("contents_hash", sa.String(length=64), nullable=True),
        sa.Column("target_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "undone_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "integration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transactions_merchant_account",
            ["merchant_id", "account_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_transactions_merchant_pos",
            ["merchant_id", "store_code", "card_number", "pos_transaction_id"],
            unique=False,
        )

    op.create_table(
        "users",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("mobile_phone", sa.String(length=32), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            "ix_users_merchant_account", ["merchant_id", "account_id"], unique=False
        )
        batch_op.create_index("ix_users_merchant_email", ["merchant_id", "email"], unique=False)
        batch_op.create_index("ix_users_merchant_phone", ["merchant_id", "phone"], unique=False)

    op.create_table(
        "wallet_balances",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("wallet_code", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "merchant_id", "account_id", "wallet_code", name=op.f("pk_wallet_balances")
        ),
    )
    op.create_table(
        "wallets",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scale", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(length=8), nullable=False),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("default_expiration_days", sa.Integer(), nullable=True),
        sa.Column("giftable", sa.Boolean(), nullable=False),
        sa.Column("pos", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "code", name=op.f("pk_wallets")),
    )


def downgrade() -> None:
    op.drop_table("wallets")
    op.drop_table("wallet_balances")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_merchant_phone")
        batch_op.drop_index("ix_users_merchant_email")
        batch_op.drop_index("ix_users_merchant_account")

    op.drop_table("users")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_merchant_pos")
        batch_op.drop_index("ix_transactions_merchant_account")

    op.drop_table("transactions")
    with op.batch_alter_table("transaction_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_transaction_cards_merchant_txn")
        batch_op.drop_index("ix_transaction_cards_merchant_account")

    op.drop_table("transaction_cards")
    op.drop_table("stores")
    op.drop_table("programs")
    op.drop_table("merchants")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index("ix_lots_merchant_expiry")
        batch_op.drop_index("ix_lots_merchant_account_wallet")

    op.drop_table("lots")
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.drop_index("ix_journal_merchant_txn")
        batch_op.drop_index("ix_journal_merchant_lot")
        batch_op.drop_index("ix_journal_merchant_account_wallet")

    op.drop_table("journal")
    op.drop_table("integrations")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_merchant_store")

    op.drop_table("checkins")
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index("ix_cards_merchant_account")

    op.drop_table("cards")
    op.drop_table("card_templates")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_merchant")

    op.drop_table("accounts")
