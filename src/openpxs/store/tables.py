"""The relational schema.

Every table leads with ``merchant_id`` and every secondary index starts with it, so a
merchant's rows sit together and the data can later be distributed by merchant.
Surrogate ids are server-wide (one sequence per table) so that an id such as a
pxTransactionId is unique on the whole server, not just within a merchant.

Amounts are integers in ten-thousandths of a unit (see ``domain.money``): exact on
SQLite as on PostgreSQL, whatever the wallet's display scale.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import ColumnElement, false, func, literal_column, text

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT on PostgreSQL; INTEGER on SQLite, where only "INTEGER PRIMARY KEY" autoincrements.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _id() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


merchants = Table(
    "merchants",
    metadata,
    Column("merchant_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Bumped by every configuration change, so servers know their cached program is stale.
    Column("config_version", Integer, nullable=False, server_default="1"),
    # The guest-facing program settings (config.model.GuestConfig, validated on apply).
    Column("guest_config", JSON, nullable=True),
    # The earning and rewards rules (config.loyalty.LoyaltyConfig, validated on apply).
    Column("loyalty_config", JSON, nullable=True),
    # Card payments (config.payments.PaymentsConfig): secrets only as references.
    Column("payments_config", JSON, nullable=True),
    # The guest surveys (a list of config.surveys.SurveyConfig, validated on apply).
    Column("surveys_config", JSON, nullable=True),
    # Store groups, check-ins, regions, tours, geocoder (config.places.PlacesConfig).
    Column("places_config", JSON, nullable=True),
    Column("outreach_config", JSON, nullable=True),
    # The challenges (config.challenges.Challenge list, validated on apply).
    Column("challenges_config", JSON, nullable=True),
    # Social group limits (config.social_groups.SocialGroupConfig); null: no groups.
    Column("social_groups_config", JSON, nullable=True),
    # Apple Wallet and Google Wallet passes (config.wallet_passes.WalletPassesConfig).
    Column("wallet_passes_config", JSON, nullable=True),
    # The operator console's settings (config.console.ConsoleConfig).
    Column("console_config", JSON, nullable=True),
)

programs = Table(
    "programs",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("code", String(8), primary_key=True),
    Column("name", String(200), nullable=False),
)

stores = Table(
    "stores",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("address", JSON, nullable=False),
    Column("latitude", String(32), nullable=True),
    Column("longitude", String(32), nullable=True),
    Column("groups", JSON, nullable=False),
    # The coordinates as numbers (latitude and longitude keep the text as written), so
    # a store locator's bounding box is an indexed range query.
    Column("lat", Float(), nullable=True),
    Column("lon", Float(), nullable=True),
    Column("phone", String(32), nullable=True),
    Column("hours", Text, nullable=True),
    # Merchant-defined attributes for apps, a list of one-key maps.
    Column("attributes", JSON, nullable=True),
    Index("ix_stores_merchant_id_lat", "merchant_id", "lat"),
)

card_templates = Table(
    "card_templates",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("code", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("programs", JSON, nullable=False),
    # Enrollment form of the template (config.model.EnrollmentConfig, validated on apply).
    Column("enrollment", JSON, nullable=True),
)

wallets = Table(
    "wallets",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("code", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("description", String(500), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("scale", Integer, nullable=False),
    Column("program", String(8), nullable=False),
    Column("allow_negative", Boolean, nullable=False),
    Column("default_expiration_days", Integer, nullable=True),
    Column("giftable", Boolean, nullable=False),
    Column("pos", JSON, nullable=False),
)

integrations = Table(
    "integrations",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("identifier", String(200), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(200), nullable=False),
    Column("styles", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("template_code", Integer, nullable=False),
    # active | closed (discarded by a voided or reversed activation)
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # The registered user owning the account; null while unregistered.
    Column("user_id", Id, nullable=True),
    Column("registered_at", UTCDateTime(), nullable=True),
    # Account fields of the enrollment form (favoriteStore, customerNumber, ...).
    Column("fields", JSON, nullable=True),
    Column("enroll_store_code", String(64), nullable=True),
    Column("tier_code", Integer, nullable=True),
    # PostgreSQL: counts the writes of the account's book (store/repositories/ledger.py),
    # so a call that read the book without a lock can tell, as it writes, whether the
    # book changed since (store/direct.py).
    Column("revision", BigInteger, nullable=False, server_default="0"),
    Index("ix_accounts_merchant", "merchant_id", "id"),
    Index("ix_accounts_merchant_user", "merchant_id", "user_id"),
    # The enrollments report reads the accounts opened on the days it covers.
    Index("ix_accounts_merchant_created", "merchant_id", "created_at"),
)

cards = Table(
    "cards",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("printed_card_number", String(64), nullable=False),
    Column("registration_code", String(64), nullable=True),
    Column("template_code", Integer, nullable=False),
    # inactive | active | exchanged
    Column("status", String(16), nullable=False),
    Column("account_id", Id, nullable=True),
    Column("activated_at", UTCDateTime(), nullable=True),
    UniqueConstraint("merchant_id", "printed_card_number"),
    Index("ix_cards_merchant_account", "merchant_id", "account_id"),
)

wallet_balances = Table(
    "wallet_balances",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("account_id", Id, primary_key=True),
    Column("wallet_code", Integer, primary_key=True, autoincrement=False),
    Column("units", BigInteger, nullable=False),
)

# Value added with its own expiry; redemptions spend the soonest-expiring lot first.
lots = Table(
    "lots",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("wallet_code", Integer, nullable=False),
    Column("remaining_units", BigInteger, nullable=False),
    Column("expires_on", Date, nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("transaction_id", Id, nullable=False),
    CheckConstraint("remaining_units >= 0", name="remaining_not_negative"),
    Index("ix_lots_merchant_account_wallet", "merchant_id", "account_id", "wallet_code"),
    Index("ix_lots_merchant_expiry", "merchant_id", "expires_at"),
    # Which of some accounts hold lapsed value: a range of each account's expiries, not
    # of every lot of the merchant that ever lapsed.
    Index("ix_lots_merchant_account_expiry", "merchant_id", "account_id", "expires_at"),
)

transactions = Table(
    "transactions",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("kind", String(32), nullable=False),
    Column("account_id", Id, nullable=True),
    Column("card_number", String(64), nullable=True),
    Column("store_code", String(64), nullable=True),
    Column("terminal_id", String(64), nullable=True),
    Column("operator_id", String(64), nullable=True),
    Column("pos_transaction_id", String(128), nullable=True),
    Column("pos_datetime", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # Fingerprint of the wallet contents, so a void can be matched to its original.
    Column("contents_hash", String(64), nullable=True),
    # The transaction this one voids or reverses, and the one that undid this one.
    Column("target_id", Id, nullable=True),
    Column("undone_by_id", Id, nullable=True),
    Column("comment", Text, nullable=True),
    Column("integration_id", Id, nullable=True),
    Index("ix_transactions_merchant_account", "merchant_id", "account_id", "created_at"),
    Index(
        "ix_transactions_merchant_pos",
        "merchant_id",
        "store_code",
        "card_number",
        "pos_transaction_id",
    ),
)

# Card state changes made by a transaction, so a void or reverse can put them back.
transaction_cards = Table(
    "transaction_cards",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("transaction_id", Id, nullable=False),
    Column("card_id", Id, nullable=False),
    Column("account_id", Id, nullable=False),
    Column("from_status", String(16), nullable=False),
    Column("to_status", String(16), nullable=False),
    Index("ix_transaction_cards_merchant_txn", "merchant_id", "transaction_id"),
    Index("ix_transaction_cards_merchant_account", "merchant_id", "account_id"),
)

# The append-only journal: every balance change is one row, never updated or deleted.
journal = Table(
    "journal",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("transaction_id", Id, nullable=False),
    Column("account_id", Id, nullable=False),
    Column("wallet_code", Integer, nullable=False),
    Column("lot_id", Id, nullable=True),
    Column("units", BigInteger, nullable=False),
    Column("balance_after_units", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # With the time: a tier's window of one account's earnings is one range of it.
    Index(
        "ix_journal_merchant_account_wallet",
        "merchant_id",
        "account_id",
        "wallet_code",
        "created_at",
    ),
    Index("ix_journal_merchant_txn", "merchant_id", "transaction_id"),
    Index("ix_journal_merchant_lot", "merchant_id", "lot_id"),
    # The reports read the journal of the days they cover.
    Index("ix_journal_merchant_created", "merchant_id", "created_at"),
)

# One row per retry-safe call: the unique key makes a retried call replay instead of
# moving value twice, even when both attempts arrive at the same moment.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("scope", String(400), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("reply", Text, nullable=True),
    # The transaction the call made; undoing it releases the key for a new call.
    Column("transaction_id", Id, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_idempotency_keys_merchant_txn", "merchant_id", "transaction_id"),
)

# Registered guests. The columns the POS searches by are columns; the other user fields of
# the enrollment form live in `fields`. `account_id` is the user's primary account: the one
# registered first; attached accounts point back through accounts.user_id.
users = Table(
    "users",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("first_name", String(100), nullable=True),
    Column("last_name", String(100), nullable=True),
    Column("email", String(254), nullable=True),
    Column("phone", String(32), nullable=True),
    Column("mobile_phone", String(32), nullable=True),
    Column("postal_code", String(32), nullable=True),
    Column("username", String(254), nullable=True),
    Column("password_hash", String(200), nullable=True),
    Column("fields", JSON, nullable=True),
    Column("email_verified", Boolean, nullable=False, server_default=false()),
    Column("sms_opt_in_verified", Boolean, nullable=False, server_default=false()),
    Column("language", String(16), nullable=True),
    Column("message_frequency", String(32), nullable=True),
    Column("created_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=True),
    Index("ix_users_merchant_account", "merchant_id", "account_id"),
    Index("ix_users_merchant_email", "merchant_id", "email"),
    Index("ix_users_merchant_phone", "merchant_id", "phone"),
    Index("ix_users_merchant_username", "merchant_id", "username"),
    Index("ix_users_merchant_mobile_phone", "merchant_id", "mobile_phone"),
)
# The characters a stored phone number may hold besides digits (domain.fields._PHONE).
PHONE_PUNCTUATION = ("+", " ", "(", ")", ".", "-")


def phone_digits(column: ColumnElement[str | None]) -> ColumnElement[str | None]:
    """SQL for the digits of a stored phone number, on SQLite and PostgreSQL alike.

    Stored numbers passed the form's phone check, so removing its punctuation leaves
    the digits; SQLite has no regexp_replace to do it in one go. The marks are written
    into the SQL, not sent as parameters, so that a query's expression is the indexes'
    below and each database can use them."""
    expression = column
    for mark in PHONE_PUNCTUATION:
        expression = func.replace(expression, literal_column(f"'{mark}'"), literal_column("''"))
    return expression


# accountQuery finds guests by the digits of their phone numbers however they were
# written.
Index("ix_users_merchant_phone_digits", users.c.merchant_id, phone_digits(users.c.phone))
Index(
    "ix_users_merchant_mobile_phone_digits",
    users.c.merchant_id,
    phone_digits(users.c.mobile_phone),
)
# The operator console finds guests by e-mail and name whatever their case.
Index("ix_users_merchant_lower_email", users.c.merchant_id, func.lower(users.c.email))
Index("ix_users_merchant_lower_last_name", users.c.merchant_id, func.lower(users.c.last_name))
Index("ix_users_merchant_lower_first_name", users.c.merchant_id, func.lower(users.c.first_name))

# Values that only one user of a merchant may hold (the username always; other fields when
# the form or the call says so). The primary key settles two concurrent claims.
user_unique_values = Table(
    "user_unique_values",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("field", String(64), primary_key=True),
    # The normalised value: lower-cased, phone numbers reduced to digits.
    Column("value_key", String(300), primary_key=True),
    Column("user_id", Id, nullable=False),
    Index("ix_user_unique_values_merchant_user", "merchant_id", "user_id"),
)

# Secondary addresses a user keeps besides the primary one in the user fields.
user_addresses = Table(
    "user_addresses",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("user_id", Id, nullable=False),
    Column("label", String(100), nullable=True),
    Column("address1", String(200), nullable=True),
    Column("address2", String(200), nullable=True),
    Column("city", String(100), nullable=True),
    Column("state_province", String(100), nullable=True),
    Column("postal_code", String(32), nullable=True),
    Column("country", String(64), nullable=True),
    Index("ix_user_addresses_merchant_user", "merchant_id", "user_id"),
)

# Identifiers of the account in other systems (push services, partners, sign-in providers).
external_accounts = Table(
    "external_accounts",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("external_identifier", String(100), nullable=False),
    Column("account_code", String(200), nullable=False),
    UniqueConstraint("merchant_id", "external_identifier", "account_code"),
    Index("ix_external_accounts_merchant_account", "merchant_id", "account_id"),
)

# Family members or other people kept under an account (birthday rewards and the like).
related_guests = Table(
    "related_guests",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("first_name", String(100), nullable=True),
    Column("last_name", String(100), nullable=True),
    Column("date_of_birth", Date, nullable=True),
    Column("relationship", String(64), nullable=True),
    Index("ix_related_guests_merchant_account", "merchant_id", "account_id"),
)

account_perks = Table(
    "account_perks",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("account_id", Id, primary_key=True),
    Column("perk_code", String(64), primary_key=True),
    Column("added_at", UTCDateTime(), nullable=False),
)

# OAuth access tokens, refresh tokens and authorization grants. Only a SHA-256 of each
# token is kept, so a copy of the database does not sign anyone in. Tokens issued by one
# sign-in share a `family`; revoking or replaying a used refresh token ends the family.
oauth_tokens = Table(
    "oauth_tokens",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("token_hash", String(64), primary_key=True),
    # access | refresh | grant
    Column("kind", String(16), nullable=False),
    Column("family", String(64), nullable=False),
    Column("user_id", Id, nullable=False),
    Column("integration_id", Id, nullable=False),
    Column("scope", String(200), nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    # A grant of the guest website's redirect flow: where it was sent and the PKCE
    # challenge (S256) its exchange must answer.
    Column("redirect_uri", String(2000), nullable=True),
    Column("code_challenge", String(128), nullable=True),
    Index("ix_oauth_tokens_merchant_family", "merchant_id", "family"),
    Index("ix_oauth_tokens_merchant_user", "merchant_id", "user_id"),
    Index("ix_oauth_tokens_merchant_expiry", "merchant_id", "expires_at"),
)

# Counters of failed guesses and of messages sent (services/guessing.py, sending.py):
# per subject from one address, per subject, per address, per card range.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    # e.g. user:<name>@<address>, card:<number>, source:<address>, range:<prefix>;
    # window_started_at holds the last failure (the window runs from it)
    Column("subject", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_started_at", UTCDateTime(), nullable=False),
    Column("locked_until", UTCDateTime(), nullable=True),
)

# One-time codes sent to a guest: e-mail verification, password reset, sign-in by SMS.
verification_codes = Table(
    "verification_codes",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    # email_verification | password_reset | one_time_password | sms_enroll
    Column("purpose", String(32), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("user_id", Id, nullable=True),
    Column("account_id", Id, nullable=True),
    # The address the code was sent to (e-mail or phone), as the guest gave it.
    Column("target", String(254), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Index("ix_verification_codes_merchant_purpose_code", "merchant_id", "purpose", "code_hash"),
    Index("ix_verification_codes_merchant_user", "merchant_id", "user_id"),
)

# Messages to guests, written in the same transaction as the change that causes them and
# delivered afterwards by the outbox worker; a change that rolls back sends nothing.
outbox = Table(
    "outbox",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    # email | sms | apns | fcm
    Column("channel", String(16), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("subject", String(200), nullable=True),
    Column("body", Text, nullable=False),
    # An e-mail's HTML part (a marketing message); the body is then its text part.
    Column("html_body", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("failed_at", UTCDateTime(), nullable=True),
    Column("last_error", String(500), nullable=True),
    Index("ix_outbox_merchant_pending", "merchant_id", "sent_at", "next_attempt_at"),
)

# Phones that receive the guest's pushes: an APNs device token (ios) or an FCM
# registration token (android), registered by the app (pushmessaging). A token names one
# app on one phone, so it belongs to one account at a time.
push_devices = Table(
    "push_devices",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    # ios | android
    Column("platform", String(16), nullable=False),
    # The app: its bundle id (the APNs topic) or package name.
    Column("external_identifier", String(100), nullable=False),
    Column("token", String(254), nullable=False),
    Column("registered_at", UTCDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "token"),
    Index("ix_push_devices_merchant_account", "merchant_id", "account_id"),
)

# Numbers that texted STOP (or were opted out through upland/smsSubscription): no SMS
# reaches them until they opt in again. Kept per number, as a carrier keeps it.
sms_subscriptions = Table(
    "sms_subscriptions",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    # The number's key: its last ten digits (domain.sms.number_key).
    Column("phone_digits", String(32), primary_key=True),
    Column("stopped", Boolean, nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
)

referrals = Table(
    "referrals",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    # The referring account.
    Column("account_id", Id, nullable=False),
    Column("email", String(254), nullable=False),
    Column("first_name", String(100), nullable=True),
    Column("last_name", String(100), nullable=True),
    # pending | enrolled | rewarded
    Column("status", String(16), nullable=False),
    Column("referral_code", String(32), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "account_id", "email"),
)

referral_codes = Table(
    "referral_codes",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("account_id", Id, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_referral_codes_merchant_account", "merchant_id", "account_id"),
)

# Codes printed on receipts or handed out at events; applying one credits a wallet once.
visit_codes = Table(
    "visit_codes",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("store_code", String(64), nullable=True),
    Column("wallet_code", Integer, nullable=False),
    Column("units", BigInteger, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("used_at", UTCDateTime(), nullable=True),
    Column("used_by_account_id", Id, nullable=True),
    Column("transaction_id", Id, nullable=True),
)

# Rewards an event (birthday, anniversary, referral) has earned but not yet granted.
pending_event_rewards = Table(
    "pending_event_rewards",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("event_name", String(100), nullable=False),
    Column("wallet_code", Integer, nullable=False),
    Column("units", BigInteger, nullable=False),
    Column("expires_on", Date, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_pending_event_rewards_merchant_account", "merchant_id", "account_id"),
)

# An automatic combine: the candidate accounts found for a user, confirmed later.
combine_workflows = Table(
    "combine_workflows",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("workflow_id", String(64), primary_key=True),
    Column("user_id", Id, nullable=False),
    Column("candidate_account_ids", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("completed_at", UTCDateTime(), nullable=True),
)

# Mobile check-ins at a store, written by the check-in service, read by the POS.
checkins = Table(
    "checkins",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("card_id", Id, nullable=False),
    Column("store_code", String(64), nullable=False),
    Column("short_card_number", String(32), nullable=True),
    Column("checked_in_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    # The caller's own venue id (checkinAccount externalStoreCode), kept for reference.
    Column("external_store_code", String(64), nullable=True),
    Index("ix_checkins_merchant_store", "merchant_id", "store_code", "expires_at"),
    # An account's recent check-ins: the merchant's caps and minimum gap.
    Index("ix_checkins_merchant_account", "merchant_id", "account_id", "checked_in_at"),
)

# Geofence crossings reported by mobile apps (regionevent/postRegionEvent.json), for
# campaigns to act on.
region_events = Table(
    "region_events",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("store_code", String(64), nullable=False),
    Column("event_type", String(8), nullable=False),
    Column("event_time", UTCDateTime(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Index("ix_region_events_merchant_account", "merchant_id", "account_id", "event_time"),
)


# Checks the Check Service has seen, one row per check (merchant, store, POS agent, check
# number and business day). The transaction columns record what was done for it, so a
# check accrues once and redeems once however often it is posted.
checks = Table(
    "checks",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("store_code", String(64), nullable=False),
    Column("agent_name", String(100), nullable=False),
    Column("check_number", String(64), nullable=False),
    # YYYY-MM-DD, or "" when the POS sent no business date.
    Column("business_date", String(10), nullable=False),
    Column("card_number", String(64), nullable=True),
    Column("account_id", Id, nullable=True),
    Column("body", JSON, nullable=False),
    # What the loyalty engine did: moves, rule breakdown, receipt text.
    Column("outcome", JSON, nullable=True),
    Column("stored", Boolean, nullable=False, server_default=false()),
    Column("accrual_transaction_id", Id, nullable=True),
    Column("redemption_transaction_id", Id, nullable=True),
    Column("posted_at", UTCDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "store_code", "agent_name", "check_number", "business_date"),
    Index("ix_checks_merchant_account", "merchant_id", "account_id"),
)

# Each use of a coupon. A use under one of the coupon's limits holds a slot number
# (1 to the limit) that the unique constraints let no other standing use hold; a void,
# or the reversal of the use's check, sets its slots to NULL and so gives the use back
# (store/repositories/coupons.py).
coupon_uses = Table(
    "coupon_uses",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("coupon_id", Integer, nullable=False),
    Column("account_id", Id, nullable=True),
    Column("printed_card_number", String(64), nullable=True),
    Column("store_code", String(64), nullable=False),
    Column("check_number", String(64), nullable=True),
    Column("redemption_datetime", String(32), nullable=True),
    Column("check_open_datetime", String(32), nullable=True),
    Column("operator_id", String(64), nullable=True),
    Column("terminal_id", String(64), nullable=True),
    Column("transaction_id", Id, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("voided_at", UTCDateTime(), nullable=True),
    # single_use / max_uses: the coupon's uses share the slots 1..limit.
    Column("coupon_slot", Integer, nullable=True),
    # per_account_limit: each account's uses share the slots 1..limit.
    Column("account_slot", Integer, nullable=True),
    UniqueConstraint("merchant_id", "coupon_id", "coupon_slot"),
    UniqueConstraint("merchant_id", "coupon_id", "account_id", "account_slot"),
    Index("ix_coupon_uses_merchant_txn", "merchant_id", "transaction_id"),
    # recordCouponUsage and voidCouponUsage find a check's use of a coupon: without this
    # they walked every use of the coupon (PostgreSQL: of the merchant's coupons).
    Index(
        "ix_coupon_uses_merchant_coupon_check",
        "merchant_id",
        "coupon_id",
        "store_code",
        "check_number",
    ),
)

# Price-per-unit discounts a store matches (check/priceMatchDiscounts.json).
price_match_discounts = Table(
    "price_match_discounts",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("store_code", String(64), nullable=False),
    Column("item_id", String(64), nullable=False),
    # Ten-thousandths of the currency unit, as every amount (domain.money).
    Column("discount_per_unit_units", BigInteger, nullable=False),
    Column("start_at", UTCDateTime(), nullable=True),
    Column("end_at", UTCDateTime(), nullable=True),
    Index("ix_price_match_discounts_merchant_store", "merchant_id", "store_code"),
)

# Campaign rewards loaded ('click to load'): once per account and event.
event_loads = Table(
    "event_loads",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("account_id", Id, primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("transaction_id", Id, nullable=False),
    Column("loaded_at", UTCDateTime(), nullable=False),
)

# One card payment and what became of it (domain.payments.AttemptState): recorded as
# pending before the processor is called, so a crash at any step leaves a row that
# `openpxs payments reconcile` finishes or compensates by asking the processor with the
# row's idempotency key. Tokens of new cards are not kept; card numbers never reach here.
payment_attempts = Table(
    "payment_attempts",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    # recharge | auto_recharge (later: sale, subscription, ...)
    Column("kind", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("account_id", Id, nullable=True),
    Column("card_number", String(64), nullable=False),
    Column("wallet_code", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("processor", String(32), nullable=False),
    # The key of the charge at the processor; compensation uses derived keys.
    Column("idempotency_key", String(100), nullable=False),
    Column("store_code", String(64), nullable=True),
    Column("integration_id", Id, nullable=True),
    Column("processor_reference", String(100), nullable=True),
    # The processor's outcome (domain.payments.Outcome) and its own code.
    Column("outcome", String(32), nullable=True),
    Column("processor_code", String(64), nullable=True),
    Column("processor_message", String(200), nullable=True),
    Column("auth_code", String(32), nullable=True),
    # What the processor told of the card: brand, last four digits, MM/YYYY.
    Column("card_brand", String(16), nullable=True),
    Column("card_last4", String(4), nullable=True),
    Column("card_expiry", String(7), nullable=True),
    # The ledger transaction that credited the value.
    Column("transaction_id", Id, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "idempotency_key"),
    Index("ix_payment_attempts_merchant_state", "merchant_id", "state", "updated_at"),
    Index("ix_payment_attempts_merchant_card", "merchant_id", "card_number", "id"),
    CheckConstraint(
        "state IN ('pending', 'charged', 'credited', 'failed', 'compensated')", name="state"
    ),
)

# Payment intents behind checkout sessions (payment/createCheckoutSession): the amount
# the processor's checkout authorizes, captured or released later. ``status`` is
# services.payment_intents.Status; ``open_key`` makes a retried creation the same intent;
# ``capture_tries`` numbers the capture attempts (payment_attempts key
# ``intent:<id>:capture:<n>``).
payment_intents = Table(
    "payment_intents",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("public_id", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("capture_method", String(16), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("captured", BigInteger, nullable=True),
    Column("currency", String(3), nullable=False),
    Column("account_id", Id, nullable=True),
    Column("card_number", String(64), nullable=True),
    Column("wallet_code", Integer, nullable=False),
    Column("processor", String(32), nullable=False),
    Column("processor_reference", String(100), nullable=False),
    Column("session_id", String(100), nullable=True),
    Column("url", String(500), nullable=True),
    Column("open_key", String(100), nullable=False),
    Column("capture_tries", Integer, nullable=False, server_default="0"),
    Column("integration_id", Id, nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "public_id"),
    UniqueConstraint("merchant_id", "open_key"),
)

# Cards kept on an account for later charges: the processor's token of the card (never
# its number) and what may be shown of it. ``saved_cc`` marks the account's one saved
# credit card (payment/savedCreditCard); ``usages`` lists what a method is the default for.
payment_methods = Table(
    "payment_methods",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("processor", String(32), nullable=False),
    Column("token", String(200), nullable=False),
    Column("card_brand", String(16), nullable=True),
    Column("card_last4", String(4), nullable=True),
    Column("card_expiry", String(7), nullable=True),
    Column("cardholder_name", String(200), nullable=True),
    Column("address", JSON, nullable=True),
    Column("usages", JSON, nullable=False),
    Column("saved_cc", Boolean, nullable=False, server_default=false()),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_payment_methods_merchant_account", "merchant_id", "account_id"),
)

# Web domains registered with Apple Pay for a merchant (payment/registerApplePayMerchantDomain):
# merchant validation is refused for a domain not listed here.
apple_pay_domains = Table(
    "apple_pay_domains",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("domain_name", String(253), primary_key=True),
    Column("registered_at", UTCDateTime(), nullable=False),
)

# Threshold monitoring (payment/enableAutoRechargeMonitoring): nothing is charged; a
# redemption that leaves the stored value below ``threshold`` raises one pending event,
# which the caller settles by recharging (or which disabling monitoring drops).
recharge_monitors = Table(
    "recharge_monitors",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("account_id", Id, primary_key=True),
    Column("card_number", String(64), nullable=False),
    Column("wallet_code", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("threshold", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

recharge_monitor_events = Table(
    "recharge_monitor_events",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("card_number", String(64), nullable=False),
    Column("balance", BigInteger, nullable=False),
    Column("threshold", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("raised_at", UTCDateTime(), nullable=False),
    Column("settled_at", UTCDateTime(), nullable=True),
    Index("ix_recharge_monitor_events_pending", "merchant_id", "settled_at", "account_id"),
)

# An account's automatic recharge: when a redemption leaves its stored value below
# ``threshold``, ``due_since`` is set in the same transaction (once: only while it is
# null), and a worker charges the saved credit card ``amount`` and clears it.
auto_recharges = Table(
    "auto_recharges",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("account_id", Id, primary_key=True),
    Column("card_number", String(64), nullable=False),
    Column("wallet_code", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("threshold", BigInteger, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("declines", Integer, nullable=False, server_default="0"),
    Column("due_since", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_auto_recharges_merchant_due", "merchant_id", "due_since"),
)

# Web store orders (Sale Service): what was bought, by whom, for whom, at what price.
# Recorded before the card is charged under the call's key; the payment attempt with the
# same key says whether it was paid, and ``transaction_id`` is set when its cards were
# issued and loaded. Prices are in cents; ``lines`` and ``purchaser`` as the request had
# them once checked (never a payment card's number: those never reach the server).
sale_orders = Table(
    "sale_orders",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("order_number", String(32), nullable=False),
    Column("idempotency_key", String(100), nullable=False),
    Column("program_type", String(16), nullable=False),
    Column("card_template", Integer, nullable=False),
    # The purchaser's account when the order was made with one.
    Column("account_id", Id, nullable=True),
    Column("purchaser", JSON, nullable=False),
    Column("shipping_method", String(32), nullable=False),
    Column("shipping_address", JSON, nullable=True),
    Column("lines", JSON, nullable=False),
    Column("subtotal", BigInteger, nullable=False),
    Column("order_discount", BigInteger, nullable=False),
    Column("shipping_cost", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    # A Reward Yourself order: the points it was paid with (units of 1/10,000).
    Column("total_points", BigInteger, nullable=True),
    Column("transaction_id", Id, nullable=True),
    # The cards issued for the order, in line order.
    Column("cards", JSON, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("fulfilled_at", UTCDateTime(), nullable=True),
    UniqueConstraint("merchant_id", "order_number"),
    UniqueConstraint("merchant_id", "idempotency_key"),
)

# Accounts that opted in to a survey that asks for it (survey/optIn.json): once each.
survey_opt_ins = Table(
    "survey_opt_ins",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("survey_code", String(64), primary_key=True),
    Column("account_id", Id, primary_key=True),
    Column("opted_in_at", UTCDateTime(), nullable=False),
)

# One response per account and survey occurrence (domain.surveys.occurrence_of): the
# unique constraint, not a read before the insert, refuses a second one, so of two
# concurrent submissions exactly one is stored and pays the reward.
survey_responses = Table(
    "survey_responses",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("survey_code", String(64), nullable=False),
    # "once", or the local day, ISO week or month the response belongs to.
    Column("occurrence", String(16), nullable=False),
    Column("account_id", Id, nullable=False),
    Column("card_number", String(64), nullable=False),
    Column("user_id", Id, nullable=True),
    Column("store_code", String(64), nullable=True),
    # [{"questionCode": ..., "choiceCodes": [...], "text": ...}] in question order.
    Column("answers", JSON, nullable=False),
    # The ledger transaction that paid the reward (none when the survey pays nothing).
    Column("transaction_id", Id, nullable=True),
    Column("submitted_at", UTCDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "survey_code", "account_id", "occurrence"),
    Index("ix_survey_responses_merchant_survey", "merchant_id", "survey_code", "id"),
)

# A reward one account gives another (services.gift_transfers). ``completed`` moved at
# once; ``pending_claim`` holds value taken from the giver until the recipient claims it
# (``claimed``) or ``expires_at`` passes and it goes back to the giver (``returned``).
# Only a digest of the claim code is kept: the code is a bearer secret.
gift_transfers = Table(
    "gift_transfers",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("status", String(16), nullable=False),
    Column("wallet_code", Integer, nullable=False),
    # Ten-thousandths, as every stored quantity (domain.money.STORAGE_SCALE).
    Column("units", BigInteger, nullable=False),
    Column("from_account_id", Id, nullable=False),
    Column("from_card_number", String(64), nullable=False),
    Column("to_account_id", Id, nullable=True),
    Column("to_card_number", String(64), nullable=True),
    Column("recipient_email", String(254), nullable=True),
    Column("recipient_first_name", String(100), nullable=True),
    Column("recipient_last_name", String(100), nullable=True),
    Column("message", String(1000), nullable=True),
    Column("claim_digest", String(64), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("out_transaction_id", Id, nullable=False),
    Column("in_transaction_id", Id, nullable=True),
    Column("return_transaction_id", Id, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "claim_digest"),
    Index("ix_gift_transfers_status_expires", "status", "expires_at"),
    CheckConstraint(
        "status IN ('completed', 'pending_claim', 'claimed', 'returned')", name="status"
    ),
)

# An account's paid subscription (services.subscriptions): one per account, reused when
# the guest subscribes again. ``renews_at`` ends the paid period; the renewal job charges
# the kept processor token then. A declined renewal makes it ``past_due`` with
# ``retry_at``; ``cancelled`` ends at ``renews_at`` (``expired``).
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("card_number", String(64), nullable=False),
    Column("plan_code", String(64), nullable=False),
    # A plan change waiting for the next renewal.
    Column("next_plan_code", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("enrolled_at", UTCDateTime(), nullable=False),
    Column("period_start", UTCDateTime(), nullable=False),
    Column("renews_at", UTCDateTime(), nullable=False),
    # Paid periods so far: part of each renewal's processor idempotency key.
    Column("periods", Integer, nullable=False),
    Column("declines", Integer, nullable=False, server_default="0"),
    Column("retry_at", UTCDateTime(), nullable=True),
    # The processor's token of the card renewals charge, never its number.
    Column("processor", String(32), nullable=False),
    Column("token", String(200), nullable=False),
    Column("card_brand", String(16), nullable=True),
    Column("card_last4", String(4), nullable=True),
    Column("card_expiry", String(7), nullable=True),
    Column("store_code", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "account_id"),
    Index("ix_subscriptions_status_renews", "status", "renews_at"),
    CheckConstraint("status IN ('active', 'cancelled', 'past_due', 'expired')", name="status"),
)

# An account's choice about a challenge (config.challenges): opted in (with the charity
# it picked for a donation reward) or, for an automatic challenge, opted out. Taking
# part counts activity from changed_at on.
challenge_entries = Table(
    "challenge_entries",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("challenge_code", String(32), primary_key=True),
    Column("account_id", Id, primary_key=True),
    Column("opted_in", Boolean, nullable=False),
    Column("charity_code", String(64), nullable=True),
    Column("changed_at", UTCDateTime(), nullable=False),
    # Every posted check reads its account's entries: by the primary key, whose
    # challenge code comes before the account, that walked the merchant's entries.
    Index("ix_challenge_entries_merchant_account", "merchant_id", "account_id"),
)

# What one posted check added to an account's progress in one occurrence of a
# challenge (units of 1/10000). Taking the check back (void, reverse) marks its rows
# taken back, so progress is always the sum of the standing rows.
challenge_progress = Table(
    "challenge_progress",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("challenge_code", String(32), nullable=False),
    # The occurrence's local start date, YYYYMMDD.
    Column("occurrence", String(8), nullable=False),
    Column("account_id", Id, nullable=False),
    # The check's ledger transaction; null when the check moved no value.
    Column("transaction_id", Id, nullable=True),
    Column("store_code", String(64), nullable=False),
    Column("units", BigInteger, nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("taken_back_at", UTCDateTime(), nullable=True),
    # A group challenge: the social group the account's user was a member of when the
    # check was posted; the group's progress is the sum of its standing rows.
    Column("group_id", Id, nullable=True),
    Index(
        "ix_challenge_progress_merchant_account",
        "merchant_id",
        "account_id",
        "challenge_code",
        "occurrence",
    ),
    Index("ix_challenge_progress_merchant_transaction", "merchant_id", "transaction_id"),
    Index(
        "ix_challenge_progress_merchant_group",
        "merchant_id",
        "group_id",
        "challenge_code",
        "occurrence",
    ),
)

# A completed occurrence: the primary key lets an account complete an occurrence once,
# whatever runs at the same time. Undoing a completion (its progress was taken back)
# deletes the row after the reward transaction has been reversed in the journal.
challenge_completions = Table(
    "challenge_completions",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("challenge_code", String(32), primary_key=True),
    Column("occurrence", String(8), primary_key=True),
    Column("account_id", Id, primary_key=True),
    Column("completed_at", UTCDateTime(), nullable=False),
    Column("reward_transaction_id", Id, nullable=True),
    Column("charity_code", String(64), nullable=True),
    Column("badge_code", String(64), nullable=True),
    # A guest's challenges list the account's completions: by the primary key, whose
    # challenge and occurrence come before the account, that walked the merchant's.
    Index("ix_challenge_completions_merchant_account", "merchant_id", "account_id"),
)

# A social group's choice about a group challenge: opted in by its owner or an admin,
# or, for an automatic challenge, opted out.
challenge_group_entries = Table(
    "challenge_group_entries",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("challenge_code", String(32), primary_key=True),
    Column("group_id", Id, primary_key=True),
    Column("opted_in", Boolean, nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
)

# An occurrence of a group challenge a group completed: the primary key completes it
# once per group, whatever members post at the same time.
challenge_group_completions = Table(
    "challenge_group_completions",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("challenge_code", String(32), primary_key=True),
    Column("occurrence", String(8), primary_key=True),
    Column("group_id", Id, primary_key=True),
    Column("completed_at", UTCDateTime(), nullable=False),
)

# What a group completion paid each member: once per member (the primary key), on the
# account that holds the reward's wallet (none when the member has no such account).
challenge_group_payouts = Table(
    "challenge_group_payouts",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("challenge_code", String(32), primary_key=True),
    Column("occurrence", String(8), primary_key=True),
    Column("group_id", Id, primary_key=True),
    Column("user_id", Id, primary_key=True),
    Column("account_id", Id, nullable=True),
    Column("reward_transaction_id", Id, nullable=True),
    Column("badge_code", String(64), nullable=True),
)

# How many completions a challenge with max_total_completions has paid: one row per
# challenge, counted up under its row lock, so concurrent completions by different
# accounts never pay past the cap.
challenge_tallies = Table(
    "challenge_tallies",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("challenge_code", String(32), primary_key=True),
    Column("completions", Integer, nullable=False),
)


# Social groups guests form (socialgroup service); the id is the groupCode.
social_groups = Table(
    "social_groups",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("name", String(100), nullable=False),
    Column("description", String(500), nullable=True),
    # The user who created the group (counted against config max_create while it exists).
    Column("created_by", Id, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_social_groups_merchant_created_by", "merchant_id", "created_by"),
)

# Who belongs to a group, with their role. The primary key keeps a user in a group once
# whatever accepts race; the partial unique index keeps at most one OWNER per group.
social_group_members = Table(
    "social_group_members",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    Column("group_id", Id, primary_key=True),
    Column("user_id", Id, primary_key=True),
    Column("role", String(8), nullable=False),
    Column("joined_at", UTCDateTime(), nullable=False),
    Index("ix_social_group_members_merchant_user", "merchant_id", "user_id"),
    Index(
        "uq_social_group_members_owner",
        "group_id",
        unique=True,
        postgresql_where=text("role = 'OWNER'"),
        sqlite_where=text("role = 'OWNER'"),
    ),
)

# Pending requests to join a group; the id is the requestCode. Accepting, rejecting or
# cancelling deletes the row. One per user and group.
social_group_requests = Table(
    "social_group_requests",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("group_id", Id, nullable=False),
    Column("user_id", Id, nullable=False),
    Column("message", String(500), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("group_id", "user_id"),
    Index("ix_social_group_requests_merchant_user", "merchant_id", "user_id"),
)

# Pending invitations: addressed to an e-mail address (stored lower case) or an external
# account, or open (neither: a shareable invitation message, reusable until cancelled).
# An addressed invitation is deleted when accepted, rejected or cancelled.
social_group_invitations = Table(
    "social_group_invitations",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("code", String(32), nullable=False),
    Column("group_id", Id, nullable=False),
    Column("inviter_user_id", Id, nullable=True),
    Column("email", String(254), nullable=True),
    Column("external_identifier", String(100), nullable=True),
    Column("account_code", String(100), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "code"),
    UniqueConstraint("group_id", "email"),
    UniqueConstraint("group_id", "external_identifier", "account_code"),
    Index("ix_social_group_invitations_merchant_email", "merchant_id", "email"),
    Index(
        "ix_social_group_invitations_merchant_external",
        "merchant_id",
        "external_identifier",
        "account_code",
    ),
)

# The guest's inbox (message/*.json): what the merchant told the account, for an app or
# website to show. Written with the change that sends it (a marketing message, a
# subscription notice); a deleted message keeps its row with deleted_at set.
inbox_messages = Table(
    "inbox_messages",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("subject", String(200), nullable=True),
    Column("body", Text, nullable=False),
    Column("image_url", String(500), nullable=True),
    Column("sent_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("deleted_at", UTCDateTime(), nullable=True),
    Index("ix_inbox_messages_merchant_account", "merchant_id", "account_id", "sent_at"),
)

# Notes customer service representatives attach to an account (csr/*.json).
account_comments = Table(
    "account_comments",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("account_id", Id, nullable=False),
    Column("author", String(100), nullable=False),
    Column("comment", String(500), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_account_comments_merchant_account", "merchant_id", "account_id", "created_at"),
)

# A card's wallet pass, made the first time it is asked for: kind "apple" (serial_number
# is the pass's serial, auth_token its PassKit authenticationToken) or "google"
# (serial_number is the loyalty object id's suffix). seen_journal_id is the account's
# latest journal row the pass was last brought up to date with; a newer one means a
# balance changed and the pass must be updated (services.wallet_passes.sweep).
wallet_passes = Table(
    "wallet_passes",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("kind", String(8), nullable=False),
    Column("serial_number", String(64), nullable=False),
    Column("card_number", String(64), nullable=False),
    Column("account_id", Id, nullable=False),
    Column("auth_token", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("seen_journal_id", Id, nullable=True),
    UniqueConstraint("serial_number"),
    UniqueConstraint("merchant_id", "kind", "card_number"),
    Index("ix_wallet_passes_merchant_account", "merchant_id", "account_id"),
)

# Devices that put an Apple pass in their Wallet (PassKit web service registrations).
wallet_pass_devices = Table(
    "wallet_pass_devices",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("pass_id", Id, nullable=False),
    Column("device_library_id", String(128), nullable=False),
    Column("push_token", String(200), nullable=False),
    Column("registered_at", UTCDateTime(), nullable=False),
    UniqueConstraint("pass_id", "device_library_id"),
    Index("ix_wallet_pass_devices_device", "device_library_id"),
)

# Staff of a merchant who sign in to the operator console (domain.operators: roles).
operators = Table(
    "operators",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    # Kept lower-case: the sign-in name.
    Column("email", String(254), nullable=False),
    Column("password_hash", String(200), nullable=False),
    # owner | manager | csr | analyst
    Column("role", String(16), nullable=False),
    # Base32 TOTP secret; null: no second factor.
    Column("totp_secret", String(64), nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "email"),
)

# Signed-in operators: the cookie holds a random token, the table only its digest.
operator_sessions = Table(
    "operator_sessions",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("operator_id", Id, nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    UniqueConstraint("token_hash"),
    Index("ix_operator_sessions_merchant_operator", "merchant_id", "operator_id"),
)

# What operators did: written in the unit of work of the action, never updated or deleted.
operator_audit = Table(
    "operator_audit",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("operator_id", Id, nullable=False),
    Column("operator_email", String(254), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("action", String(64), nullable=False),
    # The guest's account the action was about; null for actions on no guest.
    Column("account_id", Id, nullable=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("comment", Text, nullable=True),
    Index("ix_operator_audit_merchant_at", "merchant_id", "at"),
    Index("ix_operator_audit_merchant_operator", "merchant_id", "operator_id", "at"),
    Index("ix_operator_audit_merchant_account", "merchant_id", "account_id", "at"),
)

# The program file's text as each apply received it, its integration secrets replaced
# by their argon2 hashes (config/redact.py): what the console's editor starts from.
# ``applied_by``: "cli", "demo" or "console:<operator id>".
program_sources = Table(
    "program_sources",
    metadata,
    Column("merchant_id", Integer, nullable=False),
    _id(),
    Column("config_version", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("applied_at", UTCDateTime(), nullable=False),
    Column("applied_by", String(40), nullable=False),
    Index("ix_program_sources_merchant_id", "merchant_id", "id"),
)
