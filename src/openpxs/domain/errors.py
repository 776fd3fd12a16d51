"""The one refusal vocabulary: every business refusal names a ``Reason``.

The domain and the use cases raise ``DomainError`` (or one of the named shorthands
below) with a reason and, where it helps, a detail for the human reading the reply.
Each PXS service maps reasons to its own wire codes, results and HTTP statuses in the
``errors.py`` beside its handlers (``card_not_found`` is ``transaction.card_not_found``
answered as ``userDataError`` there, ``guest.card_not_found`` in the Guest Service), so
nothing below the api layer knows a wire code.

A refusal may carry ``members`` for the reply (the fields a form got wrong, the card a
campaign code named) and ``intents``: work that must outlive the refused call's rollback,
such as counting a failed sign-in (see ``domain.intents``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpxs.domain.intents import Intent


class Reason(StrEnum):
    # the call itself
    SYSTEM_ERROR = "system_error"
    INVALID_REQUEST = "invalid_request"
    INVALID_MERCHANT = "invalid_merchant"
    INVALID_STORE = "invalid_store"
    FEATURE_DISABLED = "feature_disabled"
    # cards and accounts
    CARD_NOT_FOUND = "card_not_found"
    CARD_NOT_ACTIVE = "card_not_active"
    CARD_ALREADY_ACTIVE = "card_already_active"
    CARD_NOT_IN_REQUIRED_STATE = "card_not_in_required_state"
    CARD_NUMBER_IN_USE = "card_number_in_use"
    CARD_ALREADY_REGISTERED = "card_already_registered"
    CARD_NOT_REGISTERED = "card_not_registered"
    INVALID_REGISTRATION_CODE = "invalid_registration_code"
    INVALID_CARD_TEMPLATE = "invalid_card_template"
    INVALID_STATUS_CHANGE = "invalid_status_change"
    CARDS_CANNOT_BE_COMBINED = "cards_cannot_be_combined"
    NO_COMBINE_CANDIDATES = "no_combine_candidates"
    INVALID_WORKFLOW = "invalid_workflow"
    ACCOUNT_NOT_FOUND = "account_not_found"
    ACCOUNT_NOT_ACTIVE = "account_not_active"
    # value
    INSUFFICIENT_BALANCE = "insufficient_balance"
    INVALID_WALLET_CODE = "invalid_wallet_code"
    INVALID_QUANTITY = "invalid_quantity"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    TRANSACTION_NOT_FOUND = "transaction_not_found"
    ALREADY_VOIDED = "already_voided"
    DUPLICATE_TRANSACTION = "duplicate_transaction"
    # checks, rewards and coupons
    REWARD_NOT_AVAILABLE = "reward_not_available"
    INVALID_COUPON = "invalid_coupon"  # no coupon has the code
    COUPON_NOT_FOUND = "coupon_not_found"  # no coupon has the id
    COUPON_NOT_YET_VALID = "coupon_not_yet_valid"
    COUPON_EXPIRED = "coupon_expired"
    COUPON_NOT_AT_STORE = "coupon_not_at_store"
    COUPON_USED_UP = "coupon_used_up"
    COUPON_NOT_APPLICABLE = "coupon_not_applicable"  # nothing on the check it applies to
    COUPON_USE_NOT_FOUND = "coupon_use_not_found"
    CHECK_NUMBER_REQUIRED = "check_number_required"
    INVALID_DATETIME = "invalid_datetime"
    DUPLICATE_CHECK = "duplicate_check"
    CHECK_NOT_FOUND = "check_not_found"
    AMOUNTS_EXCEED_CHECK_TOTAL = "amounts_exceed_check_total"
    # guests and their data
    USER_NOT_FOUND = "user_not_found"
    FIELD_VALIDATION = "field_validation"
    UNIQUENESS_CONFLICT = "uniqueness_conflict"
    ADDRESS_NOT_FOUND = "address_not_found"
    RELATED_GUEST_NOT_FOUND = "related_guest_not_found"
    INVALID_PERK_TYPE = "invalid_perk_type"
    INVALID_VERIFICATION_CODE = "invalid_verification_code"
    INVALID_REFERRAL = "invalid_referral"
    INVALID_REFERRAL_CODE = "invalid_referral_code"
    INVALID_VISIT_CODE = "invalid_visit_code"
    VISIT_CODE_ALREADY_USED = "visit_code_already_used"
    INVALID_MESSAGE_FREQUENCY = "invalid_message_frequency"
    INVALID_LANGUAGE = "invalid_language"
    # signing in
    COULD_NOT_AUTHENTICATE = "could_not_authenticate"
    ACCOUNT_LOCKED = "account_locked"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    INVALID_CARD_CREDENTIALS = "invalid_card_credentials"
    INVALID_GUEST_CREDENTIALS = "invalid_guest_credentials"
    INVALID_TOKEN = "invalid_token"
    INVALID_SCOPE = "invalid_scope"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    INVALID_GRANT = "invalid_grant"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    # password reset and one-time passwords
    NO_IDENTIFIER = "no_identifier"
    MULTIPLE_IDENTIFIERS = "multiple_identifiers"
    NO_EMAIL_ADDRESS = "no_email_address"
    # a push to an account none of whose phones is registered for pushes
    NO_PUSH_DEVICE = "no_push_device"
    INVALID_RESET_CODE = "invalid_reset_code"
    DUPLICATE_PHONE_NUMBERS = "duplicate_phone_numbers"
    # campaign codes
    INVALID_CAMPAIGN_CODE = "invalid_campaign_code"
    INVALID_EVENT = "invalid_event"
    INVALID_WALLET_SPEC = "invalid_wallet_spec"
    ACCOUNT_NOT_IN_EVENT = "account_not_in_event"
    REWARD_ALREADY_LOADED = "reward_already_loaded"
    TRANSACTION_DENIED = "transaction_denied"
    # enrollment: perks and e-mail verification
    INVALID_PERK = "invalid_perk"
    EMAIL_ALREADY_VERIFIED = "email_already_verified"
    # Guest Service
    EXTERNAL_ACCOUNT_NOT_FOUND = "external_account_not_found"
    # Push Messaging Service
    INVALID_EXTERNAL_IDENTIFIER = "invalid_external_identifier"
    EXTERNAL_ACCOUNT_IN_USE = "external_account_in_use"
    # Upland Service
    INVALID_PHONE = "invalid_phone"
    # card payments (Payment Service and, later, sales and subscriptions)
    PAYMENTS_NOT_CONFIGURED = "payments_not_configured"
    PROCESSOR_DECLINED = "processor_declined"
    PROCESSOR_ERROR = "processor_error"
    EMAIL_NOT_VERIFIED = "email_not_verified"
    INVALID_PAYMENT_METHOD = "invalid_payment_method"
    ADDRESS_REQUIRED = "address_required"
    NO_SAVED_CREDIT_CARD = "no_saved_credit_card"
    PAYMENT_METHOD_NOT_FOUND = "payment_method_not_found"
    INVALID_USAGE = "invalid_usage"
    AUTO_RECHARGE_NOT_ENABLED = "auto_recharge_not_enabled"
    MONITORING_NOT_ENABLED = "monitoring_not_enabled"
    APPLE_PAY_NOT_CONFIGURED = "apple_pay_not_configured"
    APPLE_PAY_VALIDATION_FAILED = "apple_pay_validation_failed"
    # wallet passes (Google Wallet Service)
    WALLET_NOT_CONFIGURED = "wallet_not_configured"
    INVALID_DOMAIN = "invalid_domain"
    CHECKOUT_SESSION_ERROR = "checkout_session_error"
    PAYMENT_INTENT_NOT_FOUND = "payment_intent_not_found"
    INVALID_PAYMENT_INTENT_STATE = "invalid_payment_intent_state"
    # web sales (Sale Service)
    INVALID_PROGRAM_TYPE = "invalid_program_type"
    SALE_PROGRAM_NOT_FOUND = "sale_program_not_found"
    SALE_PROGRAM_NOT_ACTIVE = "sale_program_not_active"
    INVALID_ITEM = "invalid_item"
    INVALID_DESIGN = "invalid_design"
    INVALID_SHIPPING_METHOD = "invalid_shipping_method"
    INVALID_RECIPIENT = "invalid_recipient"
    INVALID_PURCHASER = "invalid_purchaser"
    PRICE_CHANGED = "price_changed"
    # gift cards at the till (Gift Service)
    FIELD_TOO_LONG = "field_too_long"
    MAX_BALANCE_EXCEEDED = "max_balance_exceeded"
    # surveys
    INVALID_SURVEY = "invalid_survey"
    NOT_ELIGIBLE_FOR_SURVEY = "not_eligible_for_survey"
    ALREADY_OPTED_IN = "already_opted_in"
    ALREADY_RESPONDED = "already_responded"
    MISSING_REQUIRED_ANSWER = "missing_required_answer"
    INVALID_ANSWER = "invalid_answer"
    # places: store locator, geocoding, check-in, regions and tours
    INVALID_STORE_GROUP = "invalid_store_group"
    ADDRESS_NOT_LOCATED = "address_not_located"
    INVALID_CHECKIN_TIME = "invalid_checkin_time"
    TOO_MANY_CHECKINS = "too_many_checkins"
    CHECKIN_TOO_SOON = "checkin_too_soon"
    NO_STORE = "no_store"
    INVALID_REGION = "invalid_region"
    INVALID_TOUR = "invalid_tour"
    # Messages, marketing sends, CSR comments, app configuration
    MESSAGE_NOT_FOUND = "message_not_found"
    INVALID_TEMPLATE = "invalid_template"
    INVALID_DELIVERY_METHOD = "invalid_delivery_method"
    GUEST_OPTED_OUT = "guest_opted_out"
    NO_CADENCE = "no_cadence"
    COMMENT_TOO_LONG = "comment_too_long"
    INVALID_COMMENT = "invalid_comment"
    INVALID_INTEGRATION = "invalid_integration"
    APP_NOT_FOUND = "app_not_found"
    # balance transfers: the card value comes from, and what can move
    SOURCE_CARD_NOT_FOUND = "source_card_not_found"
    SOURCE_CARD_NOT_ACTIVE = "source_card_not_active"
    SAME_CARD = "same_card"
    INCOMPATIBLE_WALLETS = "incompatible_wallets"
    NOTHING_TO_TRANSFER = "nothing_to_transfer"
    # gift transfers
    WALLET_NOT_GIFTABLE = "wallet_not_giftable"
    SAME_ACCOUNT = "same_account"
    MESSAGE_TOO_LONG = "message_too_long"
    INVALID_CLAIM_CODE = "invalid_claim_code"
    TRANSFER_ALREADY_CLAIMED = "transfer_already_claimed"
    TRANSFER_EXPIRED = "transfer_expired"
    # subscriptions
    INVALID_SUBSCRIPTION_CODE = "invalid_subscription_code"
    ALREADY_SUBSCRIBED = "already_subscribed"
    NOT_SUBSCRIBED = "not_subscribed"
    SAME_PLAN = "same_plan"
    # challenges
    CHALLENGE_NOT_FOUND = "challenge_not_found"
    OCCURRENCE_NOT_FOUND = "occurrence_not_found"
    NOT_ELIGIBLE = "not_eligible"
    NOT_OPTED_IN = "not_opted_in"
    CHALLENGE_ENDED = "challenge_ended"
    INVALID_CHARITABLE_ORGANIZATION = "invalid_charitable_organization"
    GROUP_NOT_FOUND = "group_not_found"
    NOT_GROUP_MEMBER = "not_group_member"
    # social groups
    GROUP_CONFIG_NOT_FOUND = "group_config_not_found"
    EXTERNAL_IDENTIFIER_NOT_ALLOWED = "external_identifier_not_allowed"
    INVITATION_NOT_FOUND = "invitation_not_found"
    INVALID_INVITATION_CODE = "invalid_invitation_code"
    JOIN_REQUEST_NOT_FOUND = "join_request_not_found"
    MAX_MEMBERS = "max_members"
    MAX_INVITATIONS = "max_invitations"
    MAX_GROUPS = "max_groups"
    MAX_REQUESTS = "max_requests"
    MAX_CREATE = "max_create"
    ALREADY_IN_GROUP = "already_in_group"
    ALREADY_HAVE_REQUEST = "already_have_request"
    ALREADY_HAVE_INVITE = "already_have_invite"
    EXT_ACCT_NOT_IN_GROUP = "ext_acct_not_in_group"
    EMAIL_NOT_IN_GROUP = "email_not_in_group"
    NOT_AUTHORIZED = "not_authorized"
    INVALID_ROLE = "invalid_role"


class DomainError(Exception):
    """A business refusal: its class names the reason (``CardNotFound("detail")``), or
    ``Refused(reason, "detail")`` names any reason directly."""

    reason: Reason = Reason.SYSTEM_ERROR

    def __init__(
        self,
        detail: str | None = None,
        *,
        members: Mapping[str, Any] | None = None,
        intents: tuple[Intent, ...] = (),
    ):
        super().__init__(detail or self.reason.value)
        self.detail = detail
        # Members the refusal's reply carries beside result, errorCode and errorMessage.
        self.members: dict[str, Any] = dict(members or {})
        self.intents = intents


class Refused(DomainError):
    def __init__(
        self,
        reason: Reason,
        detail: str | None = None,
        *,
        members: Mapping[str, Any] | None = None,
        intents: tuple[Intent, ...] = (),
    ):
        self.reason = reason
        super().__init__(detail, members=members, intents=intents)


# The refusals raised in many places, named.


class CardNotFound(DomainError):
    reason = Reason.CARD_NOT_FOUND


class CardNotActive(DomainError):
    reason = Reason.CARD_NOT_ACTIVE


class CardAlreadyActive(DomainError):
    reason = Reason.CARD_ALREADY_ACTIVE


class CardNotInRequiredState(DomainError):
    reason = Reason.CARD_NOT_IN_REQUIRED_STATE


class InvalidRegistrationCode(DomainError):
    reason = Reason.INVALID_REGISTRATION_CODE


class InsufficientBalance(DomainError):
    reason = Reason.INSUFFICIENT_BALANCE


class InvalidWalletCode(DomainError):
    reason = Reason.INVALID_WALLET_CODE


class InvalidQuantity(DomainError):
    reason = Reason.INVALID_QUANTITY


class AmountOutOfRange(DomainError):
    reason = Reason.AMOUNT_OUT_OF_RANGE


class InvalidRequest(DomainError):
    reason = Reason.INVALID_REQUEST


class InvalidMerchant(DomainError):
    reason = Reason.INVALID_MERCHANT


class InvalidStore(DomainError):
    reason = Reason.INVALID_STORE


class TransactionNotFound(DomainError):
    reason = Reason.TRANSACTION_NOT_FOUND


class AlreadyVoided(DomainError):
    reason = Reason.ALREADY_VOIDED


class DuplicateTransaction(DomainError):
    reason = Reason.DUPLICATE_TRANSACTION


class RewardNotAvailable(DomainError):
    reason = Reason.REWARD_NOT_AVAILABLE


class InvalidCoupon(DomainError):
    reason = Reason.INVALID_COUPON


class CouponNotApplicable(DomainError):
    reason = Reason.COUPON_NOT_APPLICABLE


class DuplicateCheck(DomainError):
    reason = Reason.DUPLICATE_CHECK


class CheckNotFound(DomainError):
    reason = Reason.CHECK_NOT_FOUND


class AmountsExceedCheckTotal(DomainError):
    reason = Reason.AMOUNTS_EXCEED_CHECK_TOTAL
