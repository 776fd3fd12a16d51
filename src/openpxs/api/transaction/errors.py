"""The Transaction Service, and how it answers each refusal (transaction.yaml errors).

Refusals about the card or account the POS named answer ``userDataError``, so a POS
can tell "ask the guest for another card" from "this request is wrong".
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import table
from openpxs.wire.registry import Service

REFUSALS = table(
    "transaction",
    {
        Reason.CARD_ALREADY_ACTIVE: "Card is already active",
        Reason.CARD_NOT_IN_REQUIRED_STATE: "Card is not in the required state for this operation",
        Reason.CARD_NOT_FOUND: "Card not found",
        Reason.CARD_NOT_ACTIVE: "Card is not active",
        Reason.INVALID_REGISTRATION_CODE: "Invalid registration code",
        Reason.INSUFFICIENT_BALANCE: "Insufficient balance",
        Reason.INVALID_WALLET_CODE: "Invalid wallet code",
        Reason.INVALID_QUANTITY: "Invalid quantity",
        Reason.AMOUNT_OUT_OF_RANGE: "Amount is outside the allowed range",
        Reason.DUPLICATE_TRANSACTION: "Duplicate transaction",
        Reason.TRANSACTION_NOT_FOUND: "Original transaction not found",
        Reason.ALREADY_VOIDED: "Transaction has already been voided or reversed",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.INVALID_STORE: "Invalid store",
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.SYSTEM_ERROR: "System error",
    },
    user_data=(
        Reason.CARD_ALREADY_ACTIVE,
        Reason.CARD_NOT_IN_REQUIRED_STATE,
        Reason.CARD_NOT_FOUND,
        Reason.CARD_NOT_ACTIVE,
        Reason.INVALID_REGISTRATION_CODE,
        Reason.INSUFFICIENT_BALANCE,
    ),
    user_data_result="userDataError",
)

TRANSACTION = Service(
    name="transaction",
    title="Transaction Service",
    success="authorizedSuccess",
    refusals=REFUSALS,
)
B2B = ("b2b",)
